#include "host/http_server.h"

#include "host/admin_api.h"
#include "host/metrics.h"

namespace deskhook {
namespace {

using http::HttpRequest;
using http::HttpResponse;
using http::Responder;
using http::RunOn;

http::ServerOptions ServerOptionsFrom(const HttpConfig& c) {
  http::ServerOptions o;
  o.address = c.address;
  o.port = c.port;
  o.tls_cert = c.tls_cert;
  o.tls_key = c.tls_key;
  o.io_threads = c.io_threads;
  o.worker_threads = c.worker_threads;
  o.body_limit_bytes = c.body_limit_bytes;
  o.read_timeout_ms = c.read_timeout_ms;
  o.write_timeout_ms = c.write_timeout_ms;
  o.keep_alive_timeout_s = c.keep_alive_timeout_s;
  o.keep_alive_max_requests = c.keep_alive_max_requests;
  o.max_connections = c.max_connections;
  o.tcp_nodelay = c.tcp_nodelay;
  o.listen_backlog = c.listen_backlog;
  return o;
}

bool IsInstanceName(std::string_view s) {
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) return false;
  }
  return !s.empty();
}

}  // namespace

HttpServer::HttpServer(const HttpConfig& config, Ingest* ingest, AdminApi* admin,
                       std::function<Status()> ready_check)
    : config_(config), ingest_(ingest), admin_(admin), ready_check_(std::move(ready_check)) {
  server_ = std::make_unique<http::Server>(ServerOptionsFrom(config_), Routes());
}

HttpServer::~HttpServer() { Stop(); }

http::Router HttpServer::Routes() {
  http::Router r;
  // On the event loop: checks and parsing are CPU only, and the answer is sent from the store's
  // completion (Ingest::HandleAsync).
  r.PostAsync("/hooks/{}", [this](HttpRequest&& req, Responder responder) {
    if (draining_) {
      HttpResponse res = HttpResponse::Json(503, ErrorJson("unavailable", "deskhook is shutting down; retry later"));
      res.headers.emplace_back("Retry-After", "5");
      return responder.Send(std::move(res));
    }
    const std::string& instance = req.captures[0];
    if (!IsInstanceName(instance)) {
      return responder.Send(HttpResponse::Json(
          404, ErrorJson("unknown_instance", "no connector instance named '" + instance + "'")));
    }
    ingest_->HandleAsync(instance, req.headers, req.body, [responder](IngestReply reply) {
      responder.Send(HttpResponse::Json(reply.status, std::move(reply.body)));
    });
  });

  r.Get("/healthz", [](const HttpRequest&) { return HttpResponse::Json(200, "{\"status\":\"ok\"}"); }, RunOn::kOnLoop);
  r.Get("/readyz", [this](const HttpRequest&) {
    Status st = draining_ ? Status::Unavailable("draining") : ready_check_();
    return st.ok() ? HttpResponse::Json(200, "{\"status\":\"ready\"}")
                   : HttpResponse::Json(503, ErrorJson("not_ready", st.message()));
  });
  r.Get("/metrics", [](const HttpRequest&) {
    HttpResponse res = HttpResponse::Json(200, Metrics::Global().Render());
    res.content_type = "text/plain; version=0.0.4";
    return res;
  });
  if (config_.noop_endpoint) {
    // Benchmark baseline: HTTP parse + 200 on the same server, nothing else.
    r.Post("/noop", [](const HttpRequest&) { return HttpResponse::Json(200, "{\"status\":\"ok\"}"); }, RunOn::kOnLoop);
  }
  if (admin_ != nullptr) admin_->Register(r);
  return r;
}

Status HttpServer::Bind() { return server_->Bind(); }

void HttpServer::Serve() { server_->Serve(); }

void HttpServer::Stop() { server_->Stop(10000); }

}  // namespace deskhook
