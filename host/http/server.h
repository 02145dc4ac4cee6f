// deskhook's HTTP/1.1 server: event loops (Boost.Beast on Asio, epoll) instead of a thread per
// connection. A keep-alive connection costs memory, not a thread, and a webhook waiting for its
// commit blocks nothing: its answer is written when the store's completion arrives.
//
// Limits are explicit (every default of the library underneath is unbounded or slow): body and
// header size, read/write/keep-alive timeouts, requests per connection, connections at once,
// TCP_NODELAY, the listen backlog. Optional TLS (OpenSSL).
//
// Threads: `io_threads` event loops (named "http"); the first runs in Serve(), the others are
// started by it. Sync handlers run on `worker_threads` threads ("http-worker").
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "connectors/model/status.h"
#include "host/http/router.h"

namespace deskhook::http {

struct ServerOptions {
  std::string address = "127.0.0.1";
  int port = 8080;                     // 0 = any free port (see port() after Bind)
  std::string tls_cert, tls_key;       // PEM paths; both set = HTTPS
  int io_threads = 1;
  int worker_threads = 4;
  size_t body_limit_bytes = 1 << 20;   // larger bodies: 413, connection closed
  size_t header_limit_bytes = 16 << 10;  // larger request heads: 431
  int read_timeout_ms = 5000;          // a request (head and body) must arrive within this
  int write_timeout_ms = 5000;         // an answer must be taken by the client within this
  int keep_alive_timeout_s = 30;       // idle time allowed between requests
  int keep_alive_max_requests = 10000; // then the connection is closed after its answer
  int max_connections = 10000;         // more at once: answered 503 and closed
  bool tcp_nodelay = true;             // small answers without Nagle's ~40 ms delay
  int listen_backlog = 1024;           // capped by net.core.somaxconn
};

// Figures since Start, for tests and metrics.
struct ServerStats {
  int64_t connections_accepted = 0;
  int64_t connections_refused = 0;  // over max_connections
  int64_t connections_open = 0;
  int64_t requests = 0;
  int64_t timeouts = 0;             // connections closed by a read/write/keep-alive timeout
};

class Server {
 public:
  // REQUIRES: options valid (Config checks them). The router is moved in and read-only after.
  Server(ServerOptions options, Router router);
  ~Server();  // Stop()

  // Creates the listening socket (and the TLS context). Unavailable when the address is taken
  // or the certificate cannot be loaded.
  Status Bind();
  int port() const;
  // The accept-queue limit as the kernel applied it (listen_backlog or net.core.somaxconn when
  // lower); -1 before Bind(). Linux only.
  int listen_backlog() const;

  // Serves until Stop(). REQUIRES: Bind() succeeded. Blocks the calling thread.
  void Serve();

  // Stops accepting and closes idle connections at once; a request being handled gets its
  // answer (with "Connection: close") if it comes within `grace_ms`; then every connection is
  // closed and Serve() returns. Any thread; idempotent.
  void Stop(int grace_ms = 10000);

  ServerStats Stats() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace deskhook::http
