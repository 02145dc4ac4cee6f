// The sender's name lookup: a slow resolver costs at most the deadline, and a result or an error
// that arrives in time is passed on.
#include "host/http_sender_resolve.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <boost/asio/error.hpp>

#include "host/http_sender.h"

namespace deskhook::sender_internal {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(ResolveWithin, PassesOnWhatTheLookupFound) {
  boost::system::error_code ec;
  Endpoints found = ResolveWithin("127.0.0.1", "4010", 2000, &ec);
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found.begin()->endpoint().port(), 4010);
  EXPECT_EQ(found.begin()->endpoint().address().to_string(), "127.0.0.1");
}

TEST(ResolveWithin, PassesOnTheLookupsError) {
  boost::system::error_code ec;
  LookupFn failing = [](const std::string&, const std::string&, boost::system::error_code* e) {
    *e = boost::asio::error::host_not_found;
    return Endpoints{};
  };
  Endpoints found = ResolveWithin("acme.zendesk.com", "443", 2000, &ec, failing);
  EXPECT_EQ(ec, boost::asio::error::host_not_found);
  EXPECT_TRUE(found.empty());
}

TEST(ResolveWithin, ASlowLookupTimesOutAndFinishesOnItsOwnThread) {
  auto finished = std::make_shared<std::atomic<bool>>(false);
  LookupFn slow = [finished](const std::string& host, const std::string& port, boost::system::error_code* e) {
    std::this_thread::sleep_for(800ms);  // a name server that does not answer
    Endpoints r = SystemLookup(host, port, e);
    finished->store(true);
    return r;
  };
  boost::system::error_code ec;
  const auto t0 = Clock::now();
  Endpoints found = ResolveWithin("127.0.0.1", "443", 100, &ec, slow);
  const auto waited = Clock::now() - t0;
  EXPECT_EQ(ec, boost::asio::error::timed_out);
  EXPECT_TRUE(found.empty());
  EXPECT_GE(waited, 100ms);
  EXPECT_LT(waited, 700ms) << "waited for the lookup, not for the deadline";
  EXPECT_FALSE(finished->load());
  // The abandoned lookup still completes (and frees its state) without the caller.
  for (int i = 0; i < 300 && !finished->load(); ++i) std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(finished->load());
}

// Through the sender: a base URL with a host name is looked up (on the lookup thread) and used.
TEST(ResolveWithin, SenderReachesAServerByName) {
  httplib::Server server;
  server.Get("/ping", [](const httplib::Request&, httplib::Response& res) { res.set_content("pong", "text/plain"); });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread t([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::sleep_for(1ms);
  HttpSenderOptions o;
  o.base_url = "http://localhost:" + std::to_string(port);
  HttpAnswer a;
  {
    auto sender = HttpSender::Create(o);
    EXPECT_TRUE(sender.ok());  // not ASSERT: the server thread must still be joined
    if (sender.ok()) a = (*sender)->Send("GET", "/ping", {}, "");
  }  // closes the kept-alive connection, so the server can stop at once
  server.stop();
  t.join();
  // localhost may resolve to ::1 first; the sender tries each address in turn.
  EXPECT_EQ(a.status, 200) << a.error;
  EXPECT_EQ(a.body, "pong");
}

}  // namespace
}  // namespace deskhook::sender_internal
