#include "host/http_server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/socket.h>

#include <httplib.h>

#include "host/admin_api.h"
#include "host/log.h"
#include "host/metrics.h"

namespace deskhook {
namespace {

// httplib's pool, with its threads named "http" (top -H, perf, gdb). A connection holds one of
// them for as long as it is kept alive.
class NamedThreadPool : public httplib::TaskQueue {
 public:
  explicit NamedThreadPool(size_t threads) : pool_(threads) {}
  void enqueue(std::function<void()> fn) override {
    pool_.enqueue([fn = std::move(fn)] {
      thread_local bool named = (pthread_setname_np(pthread_self(), "http"), true);
      (void)named;
      fn();
    });
  }
  void shutdown() override { pool_.shutdown(); }

 private:
  httplib::ThreadPool pool_;
};

}  // namespace

HttpServer::HttpServer(const HttpConfig& config, Ingest* ingest, AdminApi* admin,
                       std::function<Status()> ready_check)
    : config_(config), ingest_(ingest), admin_(admin), ready_check_(std::move(ready_check)) {
  if (!config_.tls_cert.empty()) {
    server_ = std::make_unique<httplib::SSLServer>(config_.tls_cert.c_str(), config_.tls_key.c_str());
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  const int threads = config_.threads;
  server_->new_task_queue = [threads] { return new NamedThreadPool(static_cast<size_t>(threads)); };
  server_->set_tcp_nodelay(config_.tcp_nodelay);
  // Called for the listening socket before bind (not for accepted ones): keep the library's
  // options and remember the socket, to raise its backlog once it listens (Bind()).
  server_->set_socket_options([this](socket_t sock) {
    httplib::default_socket_options(sock);
    listen_fd_ = sock;
  });
  server_->set_payload_max_length(config_.body_limit_bytes);
  server_->set_read_timeout(config_.read_timeout_ms / 1000, (config_.read_timeout_ms % 1000) * 1000);
  server_->set_write_timeout(config_.write_timeout_ms / 1000, (config_.write_timeout_ms % 1000) * 1000);
  server_->set_keep_alive_timeout(config_.keep_alive_timeout_s);
  server_->set_keep_alive_max_count(static_cast<size_t>(config_.keep_alive_max_requests));
  Routes();
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Routes() {
  httplib::Server& s = *server_;

  s.Post(R"(/hooks/([A-Za-z0-9_-]+))", [this](const httplib::Request& req, httplib::Response& res) {
    if (draining_) {
      res.status = 503;
      res.set_header("Retry-After", "5");
      res.set_content(ErrorJson("unavailable", "deskhook is shutting down; retry later"), "application/json");
      return;
    }
    HeaderMap headers;
    for (const auto& [k, v] : req.headers) headers.Add(k, v);
    IngestReply reply = ingest_->Handle(req.matches[1].str(), headers, req.body);
    res.status = reply.status;
    res.set_content(reply.body, "application/json");
  });
  s.Post(R"(/hooks/(.*))", [](const httplib::Request& req, httplib::Response& res) {
    res.status = 404;
    res.set_content(ErrorJson("unknown_instance", "no connector instance named '" + req.matches[1].str() + "'"),
                    "application/json");
  });

  s.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("{\"status\":\"ok\"}", "application/json");
  });
  s.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    Status st = draining_ ? Status::Unavailable("draining") : ready_check_();
    res.status = st.ok() ? 200 : 503;
    res.set_content(st.ok() ? "{\"status\":\"ready\"}" : ErrorJson("not_ready", st.message()), "application/json");
  });
  s.Get("/metrics", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(Metrics::Global().Render(), "text/plain; version=0.0.4");
  });
  if (config_.noop_endpoint) {
    // Benchmark baseline: HTTP parse + 200 on the same server, nothing else.
    s.Post("/noop", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("{\"status\":\"ok\"}", "application/json");
    });
  }
  if (admin_ != nullptr) admin_->Register(s);

  // Library-generated errors (413 from the body limit, 404 for unknown paths, 400 for broken
  // requests) get the same short JSON shape as ours.
  s.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    std::string code = res.status == 413 ? "payload_too_large"
                       : res.status == 404 ? "not_found"
                       : res.status == 400 ? "bad_request"
                                           : "error";
    std::string reason = res.status == 413 ? "body exceeds the configured limit"
                         : res.status == 404 ? "no such endpoint"
                                             : "request refused";
    res.set_content(ErrorJson(code, reason), "application/json");
  });
  s.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    res.status = 500;
    res.set_content(ErrorJson("internal", "unexpected error; see the log"), "application/json");
  });
}

Status HttpServer::Bind() {
  if (config_.port == 0) {
    port_ = server_->bind_to_any_port(config_.address.c_str());
    if (port_ <= 0) return Status::Unavailable("cannot bind " + config_.address);
  } else {
    if (!server_->bind_to_port(config_.address.c_str(), config_.port))
      return Status::Unavailable("cannot bind " + config_.address + ":" + std::to_string(config_.port));
    port_ = config_.port;
  }
  // httplib listened with a backlog of 5; listen() again on the same socket sets ours.
  if (listen_fd_ < 0 || ::listen(listen_fd_, config_.listen_backlog) != 0) {
    return Status::Unavailable("cannot set the listen backlog on " + config_.address);
  }
  return Status::Ok();
}

int HttpServer::listen_backlog() const {
  if (listen_fd_ < 0) return -1;
  // For a listening socket Linux reports its accept-queue limit in tcpi_sacked.
  tcp_info info{};
  socklen_t len = sizeof(info);
  if (getsockopt(listen_fd_, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return -1;
  return static_cast<int>(info.tcpi_sacked);
}

void HttpServer::Serve() {
  pthread_setname_np(pthread_self(), "http-accept");
  server_->listen_after_bind();
}

void HttpServer::Stop() {
  if (server_ && server_->is_running()) server_->stop();
}

}  // namespace deskhook
