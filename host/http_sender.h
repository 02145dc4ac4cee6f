// Sends outbox calls to one helpdesk instance over HTTP(S) with cpp-httplib. Keeps a small pool
// of keep-alive clients (one per concurrent caller). HTTPS verifies the server certificate
// (system CAs, or `ca_path`); TCP_NODELAY on; connect/read/write timeouts bounded.
// Thread-safe: Send() may be called from several threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/model/status.h"

namespace httplib { class Client; }

namespace deskhook {

struct HttpSenderOptions {
  std::string base_url;            // "https://acme.zendesk.com" or "http://127.0.0.1:4010/prefix"
  std::string ca_path;             // PEM bundle; "" = system default
  bool verify_tls = true;          // tests against self-signed servers only
  int64_t connect_timeout_ms = 3000;
  int64_t read_timeout_ms = 10000;
  int64_t write_timeout_ms = 10000;
  // Idle keep-alive connections kept for reuse. Set it to the number of concurrent senders:
  // fewer means connections are closed and reopened under load.
  int max_idle_connections = 16;
};

enum class TransportError {
  kNone,
  kNotSent,      // connection refused / connect timeout / TLS failure: the helpdesk saw nothing
  kAmbiguous,    // request (maybe) sent, answer lost: read timeout, reset, truncated answer
};

struct HttpAnswer {
  int status = 0;                  // 0 when the transport failed
  TransportError transport = TransportError::kNone;
  std::string error;               // transport error text ("read timeout or reset", ...)
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  int64_t duration_ms = 0;

  std::string_view Header(std::string_view name) const;  // case-insensitive, "" when absent
};

class HttpSender {
 public:
  // InvalidArgument for a base URL that is not http(s)://host[:port][/prefix].
  static Result<std::unique_ptr<HttpSender>> Create(const HttpSenderOptions& options);
  ~HttpSender();

  // `path` is appended to the base URL's prefix. `headers` may hold secrets: they are sent,
  // never logged or kept. A Content-Type among them is honoured; otherwise JSON is assumed
  // for a non-empty body.
  HttpAnswer Send(std::string_view method, const std::string& path,
                  const std::vector<std::pair<std::string, std::string>>& headers,
                  const std::string& body);

 private:
  explicit HttpSender(HttpSenderOptions options, std::string scheme_host_port, std::string prefix);
  std::unique_ptr<httplib::Client> Acquire();
  void Release(std::unique_ptr<httplib::Client> client);

  const HttpSenderOptions options_;
  const std::string scheme_host_port_;
  const std::string prefix_;
  std::mutex mu_;
  std::vector<std::unique_ptr<httplib::Client>> idle_;
};

}  // namespace deskhook
