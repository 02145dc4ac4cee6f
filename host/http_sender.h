// Sends outbox calls to one helpdesk instance over HTTP/1.1 (Boost.Beast parser, Asio sockets,
// OpenSSL). Keeps a pool of idle keep-alive connections (one per concurrent caller); an idle
// connection the server has closed is noticed before reuse and replaced, so a request is never
// written to it (and never silently sent twice). HTTPS verifies the server certificate (system
// CAs, or `ca_path`) and its host name, with SNI; TCP_NODELAY on; connect, write and read bounded
// by deadlines. Answers are bounded too (body size, head size).
// Thread-safe: Send() may be called from several threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/model/status.h"

namespace deskhook {

namespace sender_internal {
class Connection;
class Dialer;
}  // namespace sender_internal

struct HttpSenderOptions {
  std::string base_url;            // "https://acme.zendesk.com" or "http://127.0.0.1:4010/prefix"
  std::string ca_path;             // PEM bundle; "" = system default
  bool verify_tls = true;          // tests against self-signed servers only
  int64_t connect_timeout_ms = 3000;  // TCP connect, per address; the name lookup and the TLS handshake as long again
  int64_t read_timeout_ms = 10000;     // the whole answer, from when the request is written
  int64_t write_timeout_ms = 10000;    // the whole request must be written within this
  // Idle keep-alive connections kept for reuse. Set it to the number of concurrent senders:
  // fewer means connections are closed and reopened under load.
  int max_idle_connections = 16;
  // An idle connection older than this is closed instead of reused, whatever the server said:
  // NATs and load balancers drop idle connections without a word, and a call sent on one would
  // wait for the read timeout and end ambiguous (a checked resend). 0 = no limit.
  int64_t max_idle_ms = 30000;
  // A longer answer body is refused (kAmbiguous): a rogue server cannot make deskhook buffer
  // without bound.
  size_t max_answer_body_bytes = 8 << 20;
};

enum class TransportError {
  kNone,
  kNotSent,      // resolve or connect failed, connect timeout, TLS handshake or certificate
                 // failure, unsendable request: the helpdesk saw nothing
  kAmbiguous,    // request (maybe) sent, answer lost: write or read error or timeout, reset,
                 // truncated or oversized answer
};

struct HttpAnswer {
  int status = 0;                  // 0 when the transport failed
  TransportError transport = TransportError::kNone;
  std::string error;               // transport error text ("read timeout (10000 ms)", ...)
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // all, in the order received
  int64_t duration_ms = 0;         // the whole Send, connecting included

  std::string_view Header(std::string_view name) const;  // case-insensitive, "" when absent
};

class HttpSender {
 public:
  // InvalidArgument for a base URL that is not http(s)://host[:port][/prefix] (an IPv6 host in
  // brackets; port 1-65535). Connects to nothing yet.
  static Result<std::unique_ptr<HttpSender>> Create(const HttpSenderOptions& options);
  ~HttpSender();

  // `path` is appended to the base URL's prefix (spaces, quotes, '+', ',', ';', CR, LF and
  // non-ASCII bytes percent-encoded, as the old client did). `headers` may hold secrets: they
  // are sent, never logged or kept. A Content-Type among them is honoured; otherwise JSON is
  // assumed for a non-empty body. Host and Content-Length are set here (a caller's Host,
  // Content-Length or Transfer-Encoding is dropped); Accept (*/*) and User-Agent (deskhook)
  // unless given. A header name or value with CR, LF or NUL, or a
  // method that is not a token, is not sent (kNotSent). Never sends a request twice.
  HttpAnswer Send(std::string_view method, const std::string& path,
                  const std::vector<std::pair<std::string, std::string>>& headers,
                  const std::string& body);

 private:
  HttpSender(const HttpSenderOptions& options, std::unique_ptr<sender_internal::Dialer> dialer,
             std::string prefix);
  // An idle connection that is still usable, or a new one; nullptr with `*error` (not sent).
  std::unique_ptr<sender_internal::Connection> Acquire(std::string* error);
  void Release(std::unique_ptr<sender_internal::Connection> connection);

  const HttpSenderOptions options_;
  const std::unique_ptr<sender_internal::Dialer> dialer_;  // declared before idle_: outlives it
  const std::string prefix_;
  std::mutex mu_;
  std::vector<std::unique_ptr<sender_internal::Connection>> idle_;  // most recently used last
};

}  // namespace deskhook
