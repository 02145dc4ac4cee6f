// deskhook's HTTP front: webhook intake, the operations endpoints and the admin API, on the
// event-loop server of host/http (Boost.Beast). Its limits come from the config (http.*):
// body and header size, read/write/keep-alive timeouts, connections at once, TCP_NODELAY,
// the listen backlog, event-loop and worker threads.
//
// A webhook is verified and parsed on its connection's event loop and answered when the store's
// commit completes; no thread waits for it. Admin and readiness requests, which read or write
// the store synchronously, run on the worker threads.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "connectors/model/status.h"
#include "host/config.h"
#include "host/http/server.h"
#include "host/ingest.h"

namespace deskhook {

class AdminApi;

class HttpServer {
 public:
  // REQUIRES: ingest, admin (may be nullptr) and ready_check outlive the server.
  HttpServer(const HttpConfig& config, Ingest* ingest, AdminApi* admin, std::function<Status()> ready_check);
  ~HttpServer();

  // Binds the listening socket (port 0 = any free port). Error when the address is taken or
  // the TLS certificate cannot be loaded.
  Status Bind();
  int port() const { return server_->port(); }
  // The listening socket's accept-queue limit as the kernel applies it: http.listen_backlog,
  // or net.core.somaxconn when that is lower. -1 before Bind(). Linux only.
  int listen_backlog() const { return server_->listen_backlog(); }
  // Serves until Stop(). REQUIRES: Bind() succeeded. Blocks the calling thread.
  void Serve();
  // Stops accepting and closes idle connections; a webhook waiting for its commit still gets its
  // answer (within 10 s). Any thread but the server's own.
  void Stop();
  bool draining() const { return draining_.load(); }
  // From now on webhooks are answered 503 (the platform retries later).
  void SetDraining() { draining_ = true; }

  http::ServerStats Stats() const { return server_->Stats(); }

 private:
  http::Router Routes();

  HttpConfig config_;
  Ingest* ingest_;
  AdminApi* admin_;
  std::function<Status()> ready_check_;
  std::atomic<bool> draining_{false};
  std::unique_ptr<http::Server> server_;
};

}  // namespace deskhook
