#include "host/http/server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/socket.h>

#include <condition_variable>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/steady_timer.hpp>

#include "host/http/session.h"

namespace deskhook::http {
namespace internal {

HttpRequest ToRequest(bhttp::request<bhttp::string_body>&& msg) {
  HttpRequest req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  const size_t q = req.target.find('?');
  req.path = req.target.substr(0, q);
  if (q != std::string::npos) req.query = ParseQuery(std::string_view(req.target).substr(q + 1));
  for (const auto& field : msg) req.headers.Add(std::string(field.name_string()), std::string(field.value()));
  req.body = std::move(msg.body());
  return req;
}

void FillResponse(const HttpResponse& in, unsigned version, bool keep_alive, bhttp::response<bhttp::string_body>* out) {
  out->version(version);
  out->result(static_cast<unsigned>(in.status));
  if (!in.content_type.empty()) out->set(bhttp::field::content_type, in.content_type);
  for (const auto& [name, value] : in.headers) out->set(name, value);
  out->body() = in.body;
  out->keep_alive(keep_alive);
  out->prepare_payload();
}

std::optional<HttpResponse> ReadErrorResponse(const beast::error_code& ec) {
  if (ec == bhttp::error::body_limit) {
    return HttpResponse::Json(413, ErrorBody("payload_too_large", "body exceeds the configured limit"));
  }
  if (ec == bhttp::error::header_limit) {
    return HttpResponse::Json(431, ErrorBody("header_too_large", "request head exceeds the configured limit"));
  }
  if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) return std::nullopt;
  if (ec.category() == beast::error_code(bhttp::error::bad_version).category()) {
    return HttpResponse::Json(400, ErrorBody("bad_request", "malformed HTTP request"));
  }
  return std::nullopt;  // connection reset, aborted by a close, TLS failure: nobody to answer
}

}  // namespace internal

using namespace internal;

class Server::Impl {
 public:
  Impl(ServerOptions options, Router router) {
    shared_.options = std::move(options);
    shared_.router = std::move(router);
    shared_.workers = &workers_;
    const int n = std::max(1, shared_.options.io_threads);
    for (int i = 0; i < n; ++i) loops_.push_back(std::make_unique<Loop>());
  }

  ~Impl() {
    Stop(0);
    JoinWorkers();
  }

  Status Bind() {
    const ServerOptions& o = shared_.options;
    if (!o.tls_cert.empty()) {
      tls_.emplace(asio::ssl::context::tls_server);
      beast::error_code ec;
      tls_->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                        asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
      tls_->use_certificate_chain_file(o.tls_cert, ec);
      if (!ec) tls_->use_private_key_file(o.tls_key, asio::ssl::context::pem, ec);
      if (ec) return Status::Unavailable("http.tls: cannot load the certificate or key: " + ec.message());
    }
    beast::error_code ec;
    auto addr = asio::ip::make_address(o.address, ec);
    if (ec) return Status::Unavailable("cannot bind " + o.address + ": not an IP address");
    acceptor_.emplace(loops_[0]->ctx);
    tcp::endpoint ep(addr, static_cast<unsigned short>(o.port));
    acceptor_->open(ep.protocol(), ec);
    if (!ec) acceptor_->set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_->bind(ep, ec);
    if (!ec) acceptor_->listen(o.listen_backlog, ec);
    if (ec) {
      acceptor_.reset();
      return Status::Unavailable("cannot bind " + o.address + ":" + std::to_string(o.port) + ": " + ec.message());
    }
    port_ = acceptor_->local_endpoint().port();
    listen_fd_ = acceptor_->native_handle();
    return Status::Ok();
  }

  int port() const { return port_; }

  int listen_backlog() const {
    if (listen_fd_ < 0) return -1;
    // For a listening socket Linux reports its accept-queue limit in tcpi_sacked.
    tcp_info info{};
    socklen_t len = sizeof(info);
    if (getsockopt(listen_fd_, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return -1;
    return static_cast<int>(info.tcpi_sacked);
  }

  void Serve() {
    {
      // Set up under the lock, so a Stop() that sees serving_ also sees all of it.
      std::lock_guard<std::mutex> lock(mu_);
      if (stopped_ || !acceptor_) return;
      serving_ = true;
      StartWorkers();
      for (auto& loop : loops_) {
        guards_.emplace_back(loop->ctx.get_executor());
        ScheduleSweep(*loop);
      }
      Accept();
    }
    for (size_t i = 1; i < loops_.size(); ++i) {
      threads_.emplace_back([this, i] {
        pthread_setname_np(pthread_self(), "http");
        loops_[i]->ctx.run();
      });
    }
    pthread_setname_np(pthread_self(), "http");
    loops_[0]->ctx.run();
    for (auto& t : threads_) t.join();
    threads_.clear();
    // Sessions still owned by a loop (their connections are closed) go with it, before any
    // socket could outlive its io_context.
    for (auto& loop : loops_) loop->sessions.clear();
    std::lock_guard<std::mutex> lock(mu_);
    serving_ = false;
    served_cv_.notify_all();
  }

  void Stop(int grace_ms) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopped_) return;
      stopped_ = true;
    }
    shared_.stopping = true;
    bool serving;
    {
      std::lock_guard<std::mutex> lock(mu_);
      serving = serving_;
    }
    if (serving) {
      asio::post(loops_[0]->ctx, [this] {
        beast::error_code ignored;
        if (acceptor_) acceptor_->close(ignored);
      });
      for (auto& loop : loops_) {
        asio::post(loop->ctx, [l = loop.get()] { ForEach(*l, [](SessionBase& s) { s.CloseIfIdle(); }); });
      }
      // Requests being handled get their answers (a webhook waits for its commit) and then
      // close, as keep-alive is off while stopping.
      const auto deadline = Clock::now() + std::chrono::milliseconds(grace_ms);
      while (shared_.open.load() > 0 && Clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      for (auto& loop : loops_) {
        asio::post(loop->ctx, [l = loop.get()] { ForEach(*l, [](SessionBase& s) { s.Close(); }); });
      }
      {
        std::lock_guard<std::mutex> lock(shared_.gate->mu);
        shared_.gate->open = false;
      }
      guards_.clear();
      for (auto& loop : loops_) loop->ctx.stop();
      std::unique_lock<std::mutex> lock(mu_);
      served_cv_.wait(lock, [this] { return !serving_; });
    }
    JoinWorkers();
  }

  ServerStats Stats() const {
    ServerStats s;
    s.connections_accepted = shared_.accepted.load();
    s.connections_refused = shared_.refused.load();
    s.connections_open = shared_.open.load();
    s.requests = shared_.requests.load();
    s.timeouts = shared_.timeouts.load();
    return s;
  }

 private:
  template <typename Fn>
  static void ForEach(Loop& loop, Fn fn) {
    for (auto it = loop.sessions.begin(); it != loop.sessions.end();) {
      std::shared_ptr<SessionBase> s = *it++;  // fn may close it and drop the loop's reference
      fn(*s);
    }
  }

  void StartWorkers() {
    worker_guard_.emplace(workers_.get_executor());
    for (int i = 0; i < std::max(1, shared_.options.worker_threads); ++i) {
      worker_threads_.emplace_back([this] {
        pthread_setname_np(pthread_self(), "http-worker");
        workers_.run();
      });
    }
  }

  void JoinWorkers() {
    worker_guard_.reset();
    for (auto& t : worker_threads_) t.join();
    worker_threads_.clear();
  }

  void ScheduleSweep(Loop& loop) {
    auto timer = std::make_shared<asio::steady_timer>(loop.ctx);
    SweepLater(loop, std::move(timer));
  }

  void SweepLater(Loop& loop, std::shared_ptr<asio::steady_timer> timer) {
    timer->expires_after(std::chrono::milliseconds(250));
    timer->async_wait([this, &loop, timer](const beast::error_code& ec) mutable {
      if (ec) return;
      const auto now = Clock::now();
      ForEach(loop, [now](SessionBase& s) { s.Sweep(now); });
      SweepLater(loop, std::move(timer));
    });
  }

  void Accept() {
    Loop& target = *loops_[next_loop_++ % loops_.size()];
    acceptor_->async_accept(target.ctx, [this, &target](const beast::error_code& ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor_->is_open()) return;
      if (!ec) Admit(target, std::move(socket));
      Accept();
    });
  }

  // On loop 0 (the acceptor's); the session is created on its own loop.
  void Admit(Loop& loop, tcp::socket socket) {
    if (shared_.open.load() >= shared_.options.max_connections) {
      shared_.refused++;
      static const std::string kBusy = [] {
        const std::string body = ErrorBody("unavailable", "too many connections; retry later");
        return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n"
               "Retry-After: 1\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
      }();
      // Best effort and never blocking: the loop must not wait for a client it is refusing.
      beast::error_code ignored;
      socket.non_blocking(true, ignored);
      socket.write_some(asio::buffer(kBusy), ignored);
      socket.close(ignored);
      return;
    }
    shared_.accepted++;
    shared_.open++;
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(shared_.options.tcp_nodelay), ignored);
    asio::post(loop.ctx, [this, &loop, socket = std::move(socket)]() mutable {
      if (tls_) {
        Start(loop, std::make_shared<Session<TlsStream>>(shared_, loop, TlsStream(std::move(socket), *tls_)));
      } else {
        Start(loop, std::make_shared<Session<tcp::socket>>(shared_, loop, std::move(socket)));
      }
    });
  }

  template <class S>
  static void Start(Loop& loop, std::shared_ptr<S> session) {
    loop.sessions.push_front(session);
    session->self_in_loop = loop.sessions.begin();
    session->Start();
  }

  Shared shared_;
  std::vector<std::unique_ptr<Loop>> loops_;
  asio::io_context workers_{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> worker_guard_;
  std::vector<std::thread> worker_threads_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  std::vector<std::thread> threads_;
  std::optional<tcp::acceptor> acceptor_;
  std::optional<asio::ssl::context> tls_;
  size_t next_loop_ = 0;
  int port_ = 0;
  int listen_fd_ = -1;
  std::mutex mu_;
  std::condition_variable served_cv_;
  bool serving_ = false;
  bool stopped_ = false;
};

Server::Server(ServerOptions options, Router router)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(router))) {}
Server::~Server() = default;
Status Server::Bind() { return impl_->Bind(); }
int Server::port() const { return impl_->port(); }
int Server::listen_backlog() const { return impl_->listen_backlog(); }
void Server::Serve() { impl_->Serve(); }
void Server::Stop(int grace_ms) { impl_->Stop(grace_ms); }
ServerStats Server::Stats() const { return impl_->Stats(); }

}  // namespace deskhook::http
