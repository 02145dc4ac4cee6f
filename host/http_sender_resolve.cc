#include "host/http_sender_resolve.h"

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>

namespace deskhook::sender_internal {

Endpoints SystemLookup(const std::string& host, const std::string& port, boost::system::error_code* ec) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::resolver resolver(io);
  return resolver.resolve(host, port, *ec);
}

namespace {
// Shared by the caller and the lookup thread; the last one out frees it.
struct Lookup {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;                // guarded by mu
  boost::system::error_code ec;     // guarded by mu
  Endpoints endpoints;              // guarded by mu
};
}  // namespace

Endpoints ResolveWithin(const std::string& host, const std::string& port, int64_t timeout_ms,
                        boost::system::error_code* ec, const LookupFn& lookup) {
  auto state = std::make_shared<Lookup>();
  try {
    std::thread([state, host, port, lookup] {
      boost::system::error_code lookup_ec;
      Endpoints found = lookup(host, port, &lookup_ec);
      std::lock_guard<std::mutex> lock(state->mu);
      state->ec = lookup_ec;
      state->endpoints = std::move(found);
      state->done = true;
      state->cv.notify_all();
    }).detach();
  } catch (const std::system_error&) {  // no thread to be had: look up here, without a deadline
    return lookup(host, port, ec);
  }
  std::unique_lock<std::mutex> lock(state->mu);
  if (!state->cv.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return state->done; })) {
    *ec = boost::asio::error::timed_out;
    return {};
  }
  *ec = state->ec;
  return state->endpoints;
}

}  // namespace deskhook::sender_internal
