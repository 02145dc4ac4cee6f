#include "host/http_sender.h"

#include <algorithm>
#include <charconv>
#include <chrono>

#include "connectors/model/headers.h"
#include "host/http_sender_conn.h"

namespace deskhook {
namespace {

using sender_internal::Connection;
using sender_internal::Target;

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), IsTokenChar);
}

bool HasLineBreakOrNul(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

// The request target as cpp-httplib's encode_url wrote it (the paths are already encoded by
// the connectors; this keeps the bytes on the wire what they were before).
void AppendTarget(std::string_view path, std::string* out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char ch : path) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80 || ch == ' ' || ch == '+' || ch == '\r' || ch == '\n' || ch == '\'' ||
        ch == ',' || ch == ';') {
      out->push_back('%');
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 15]);
    } else {
      out->push_back(ch);
    }
  }
}

// The whole request, head and body, in `*out`; false with `*error` when it cannot be sent.
bool BuildRequest(std::string_view method, std::string_view target, const Target& to,
                  const std::vector<std::pair<std::string, std::string>>& headers,
                  const std::string& body, std::string* out, std::string* error) {
  if (!IsToken(method)) {
    *error = "method is not an HTTP token";
    return false;
  }
  out->reserve(256 + target.size() + body.size() + headers.size() * 64);
  out->append(method);
  out->push_back(' ');
  if (target.empty() || target.front() != '/') out->push_back('/');
  AppendTarget(target, out);
  out->append(" HTTP/1.1\r\nHost: ");
  out->append(to.host_header);
  out->append("\r\n");
  bool has_content_type = false, has_accept = false, has_user_agent = false;
  for (const auto& [name, value] : headers) {
    // The names only: a value may be a secret and must not reach an error text.
    if (!IsToken(name) || HasLineBreakOrNul(value)) {
      *error = "header " + (IsToken(name) ? name : std::string("name")) +
               " has a character not allowed in HTTP (CR, LF, NUL)";
      return false;
    }
    if (EqualsIgnoreCase(name, "Host") || EqualsIgnoreCase(name, "Content-Length") ||
        EqualsIgnoreCase(name, "Transfer-Encoding")) {
      continue;
    }
    has_content_type = has_content_type || EqualsIgnoreCase(name, "Content-Type");
    has_accept = has_accept || EqualsIgnoreCase(name, "Accept");
    has_user_agent = has_user_agent || EqualsIgnoreCase(name, "User-Agent");
    out->append(name);
    out->append(": ");
    out->append(value);
    out->append("\r\n");
  }
  if (!has_accept) out->append("Accept: */*\r\n");
  if (!has_user_agent) out->append("User-Agent: deskhook\r\n");
  if (!body.empty() && !has_content_type) out->append("Content-Type: application/json\r\n");
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    out->append("Content-Length: ");
    out->append(std::to_string(body.size()));
    out->append("\r\n");
  }
  out->append("\r\n");
  out->append(body);
  return true;
}

// "host", "host:port", "[v6]" or "[v6]:port" -> host and port; false when malformed.
bool SplitHostPort(std::string_view hp, bool tls, std::string* host, std::string* port) {
  std::string_view port_part;
  if (!hp.empty() && hp.front() == '[') {
    const size_t close = hp.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    *host = std::string(hp.substr(1, close - 1));
    std::string_view rest = hp.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      port_part = rest.substr(1);
      if (port_part.empty()) return false;
    }
  } else {
    const size_t colon = hp.find(':');
    *host = std::string(hp.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_part = hp.substr(colon + 1);
      if (port_part.empty()) return false;
    }
  }
  if (host->empty() || host->find_first_of("/?#@ ") != std::string::npos) return false;
  if (port_part.empty()) {
    *port = tls ? "443" : "80";
    return true;
  }
  int n = 0;
  auto [end, ec] = std::from_chars(port_part.data(), port_part.data() + port_part.size(), n);
  if (ec != std::errc() || end != port_part.data() + port_part.size() || n < 1 || n > 65535) {
    return false;
  }
  *port = std::to_string(n);
  return true;
}

}  // namespace

std::string_view HttpAnswer::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) return v;
  }
  return {};
}

Result<std::unique_ptr<HttpSender>> HttpSender::Create(const HttpSenderOptions& options) {
  const std::string& url = options.base_url;
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    return Status::InvalidArgument("base_url: expected http(s)://host[:port][/prefix]");
  }
  std::string scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    return Status::InvalidArgument("base_url: scheme must be http or https");
  }
  size_t host_start = scheme_end + 3;
  size_t path_start = url.find('/', host_start);
  std::string host_port = url.substr(host_start, path_start == std::string::npos
                                                     ? std::string::npos
                                                     : path_start - host_start);
  if (host_port.empty()) return Status::InvalidArgument("base_url: missing host");
  Target target;
  target.tls = scheme == "https";
  if (!SplitHostPort(host_port, target.tls, &target.host, &target.port)) {
    return Status::InvalidArgument("base_url: expected host[:port] with a port 1-65535, got " +
                                   host_port);
  }
  // The Host header names the port only when it is not the scheme's default (as browsers do).
  const bool default_port = target.port == (target.tls ? "443" : "80");
  const bool v6 = target.host.find(':') != std::string::npos;
  target.host_header = v6 ? "[" + target.host + "]" : target.host;
  if (!default_port) target.host_header += ":" + target.port;
  std::string prefix = path_start == std::string::npos ? "" : url.substr(path_start);
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  auto dialer = std::make_unique<sender_internal::Dialer>(std::move(target), options);
  return std::unique_ptr<HttpSender>(new HttpSender(options, std::move(dialer), std::move(prefix)));
}

HttpSender::HttpSender(const HttpSenderOptions& options,
                       std::unique_ptr<sender_internal::Dialer> dialer, std::string prefix)
    : options_(options), dialer_(std::move(dialer)), prefix_(std::move(prefix)) {}

HttpSender::~HttpSender() = default;

std::unique_ptr<Connection> HttpSender::Acquire(std::string* error) {
  for (;;) {
    std::unique_ptr<Connection> c;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (idle_.empty()) break;
      c = std::move(idle_.back());
      idle_.pop_back();
    }
    // Checked outside the lock (a poll() that does not wait). A connection the server closed
    // (or idle too long) is dropped here, before a byte of the request is written to it.
    if (c->StillUsable()) return c;
  }
  return dialer_->Open(error);
}

void HttpSender::Release(std::unique_ptr<Connection> connection) {
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.size() < static_cast<size_t>(std::max(1, options_.max_idle_connections))) {
    idle_.push_back(std::move(connection));
  }
}

HttpAnswer HttpSender::Send(std::string_view method, const std::string& path,
                            const std::vector<std::pair<std::string, std::string>>& headers,
                            const std::string& body) {
  HttpAnswer answer;
  const int64_t start = SteadyMs();
  std::string request;
  std::string target;
  target.reserve(prefix_.size() + path.size());
  target.append(prefix_).append(path);
  if (!BuildRequest(method, target, dialer_->target(), headers, body, &request, &answer.error)) {
    answer.transport = TransportError::kNotSent;
    return answer;
  }
  std::unique_ptr<Connection> connection = Acquire(&answer.error);
  if (connection == nullptr) {
    answer.transport = TransportError::kNotSent;
    answer.duration_ms = SteadyMs() - start;
    return answer;
  }
  // After a failure the connection is in an unknown state: it is closed, never reused.
  const bool reusable = connection->Exchange(request, method == "HEAD", &answer);
  answer.duration_ms = SteadyMs() - start;
  if (reusable) Release(std::move(connection));
  return answer;
}

}  // namespace deskhook
