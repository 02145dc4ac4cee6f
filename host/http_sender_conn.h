// Internal to HttpSender: one keep-alive connection to the helpdesk (plain TCP or TLS), and the
// Dialer that opens them. Asio, Beast and OpenSSL stay in http_sender_conn.cc.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "host/http_sender.h"

namespace deskhook::sender_internal {

// Where the base URL points.
struct Target {
  std::string host;         // "acme.zendesk.com", "127.0.0.1", "::1" (no brackets)
  std::string port;         // "443"
  bool tls = false;
  std::string host_header;  // "acme.zendesk.com", "127.0.0.1:4010", "[::1]:8080"
};

class Connection {
 public:
  virtual ~Connection() = default;

  // Writes `request` (a whole HTTP/1.1 request: head and body) and reads the answer into
  // `answer`: status, headers (all, in order) and body, or status 0 with transport kAmbiguous
  // and an error text (the request may have reached the server). HEAD: `head_request` (its
  // answer has no body). Returns true when the connection may carry another request: no error,
  // keep-alive, nothing left over. Never logs.
  virtual bool Exchange(const std::string& request, bool head_request, HttpAnswer* answer) = 0;

  // Before reusing an idle connection: false when the server has closed it (or reset it, or
  // sent bytes nobody asked for), or when it has been idle about as long as the server said it
  // keeps idle connections (Keep-Alive: timeout=N), or for max_idle_ms. Does not block.
  virtual bool StillUsable() = 0;
};

class Dialer {
 public:
  // Loads the CA file here; a failure is reported by every Open (as the old client did at send
  // time), not here.
  Dialer(Target target, const HttpSenderOptions& options);
  ~Dialer();  // REQUIRES: every Connection it opened is gone.

  // A connected socket (TLS: handshaken, certificate and host name verified), or nullptr with
  // `*error` set: then nothing of a request was sent. Looks the host name up each time, within
  // connect_timeout_ms (host/http_sender_resolve.h). Thread-safe.
  std::unique_ptr<Connection> Open(std::string* error);

  const Target& target() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace deskhook::sender_internal
