// Internal to host/http: what a connection's session shares with the server. Included by
// server.cc only (it pulls in Asio).
#pragma once

#include <atomic>
#include <chrono>
#include <list>
#include <memory>
#include <mutex>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "host/http/router.h"
#include "host/http/server.h"

namespace deskhook::http::internal {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

class SessionBase;

// One event loop: its io_context runs on one thread, and the sessions it owns are only touched
// there (no locks). The loop owns its sessions until they close.
struct Loop {
  asio::io_context ctx{1};
  std::list<std::shared_ptr<SessionBase>> sessions;
};

// Open while the server's loops exist; a late answer (a commit completing after Stop) checks
// it before posting to a loop that may be gone.
struct Gate {
  std::mutex mu;
  bool open = true;
};

// What every session reads. Owned by Server::Impl, outlives every session.
struct Shared {
  ServerOptions options;
  Router router;
  asio::io_context* workers = nullptr;  // runs sync handlers that may block
  std::shared_ptr<Gate> gate = std::make_shared<Gate>();
  std::atomic<bool> stopping{false};
  std::atomic<int64_t> accepted{0}, refused{0}, open{0}, requests{0}, timeouts{0};
};

class SessionBase : public std::enable_shared_from_this<SessionBase> {
 public:
  virtual ~SessionBase() = default;
  // On the loop thread. Closes the connection when its deadline has passed.
  virtual void Sweep(Clock::time_point now) = 0;
  // On the loop thread. Closes the connection unless a request is being handled or answered.
  virtual void CloseIfIdle() = 0;
  virtual void Close() = 0;
  // On the loop thread: the handler's answer to the request being handled.
  virtual void OnResponse(uint64_t request_no, HttpResponse response) = 0;
  virtual asio::io_context& context() = 0;

  std::list<std::shared_ptr<SessionBase>>::iterator self_in_loop;  // set by the loop
};

// Carries a handler's answer back to its session's loop (Responder::Exchange).
class LoopExchange final : public Responder::Exchange {
 public:
  LoopExchange(std::weak_ptr<SessionBase> session, std::shared_ptr<Gate> gate, uint64_t request_no)
      : session_(std::move(session)), gate_(std::move(gate)), request_no_(request_no) {}

  void Deliver(HttpResponse response) override {
    std::lock_guard<std::mutex> lock(gate_->mu);
    if (!gate_->open) return;
    std::shared_ptr<SessionBase> s = session_.lock();
    if (!s) return;  // the connection closed meanwhile (client gone, timeout)
    asio::io_context& ctx = s->context();
    asio::post(ctx, [s = std::move(s), n = request_no_, r = std::move(response)]() mutable {
      s->OnResponse(n, std::move(r));
    });
  }

 private:
  std::weak_ptr<SessionBase> session_;
  std::shared_ptr<Gate> gate_;
  uint64_t request_no_;
};

}  // namespace deskhook::http::internal
