// deskhook's HTTP front: webhook intake, operations endpoints and the admin API on one
// cpp-httplib server whose limits are set deliberately (the library's defaults are unbounded or
// slow): body size, read/write timeouts, keep-alive, TCP_NODELAY, the listen backlog, and a
// fixed thread pool.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "connectors/model/status.h"
#include "host/config.h"
#include "host/ingest.h"

namespace httplib { class Server; }

namespace deskhook {

class AdminApi;

class HttpServer {
 public:
  // REQUIRES: ingest, admin (may be nullptr) and ready_check outlive the server.
  HttpServer(const HttpConfig& config, Ingest* ingest, AdminApi* admin, std::function<Status()> ready_check);
  ~HttpServer();

  // Binds the listening socket (port 0 = any free port). Error when the address is taken.
  Status Bind();
  int port() const { return port_; }
  // The listening socket's accept-queue limit as the kernel applies it: http.listen_backlog,
  // or net.core.somaxconn when that is lower. -1 before Bind(). Linux only.
  int listen_backlog() const;
  // Serves until Stop(). REQUIRES: Bind() succeeded. Blocks the calling thread.
  void Serve();
  // Stops accepting and closes connections; in-flight handlers finish first. Any thread.
  void Stop();
  bool draining() const { return draining_.load(); }
  void SetDraining() { draining_ = true; }

 private:
  void Routes();

  HttpConfig config_;
  Ingest* ingest_;
  AdminApi* admin_;
  std::function<Status()> ready_check_;
  std::unique_ptr<httplib::Server> server_;
  int port_ = 0;
  int listen_fd_ = -1;  // the listening socket, captured while httplib creates it
  std::atomic<bool> draining_{false};
};

}  // namespace deskhook
