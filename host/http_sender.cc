#include "host/http_sender.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>

#include "connectors/model/headers.h"

namespace deskhook {
namespace {


int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

template <typename Fn>
void SetTimeout(int64_t ms, Fn fn) {
  fn(static_cast<time_t>(ms / 1000), static_cast<time_t>((ms % 1000) * 1000));
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
  std::string prefix = path_start == std::string::npos ? "" : url.substr(path_start);
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  return std::unique_ptr<HttpSender>(
      new HttpSender(options, scheme + "://" + host_port, std::move(prefix)));
}

HttpSender::HttpSender(HttpSenderOptions options, std::string scheme_host_port, std::string prefix)
    : options_(std::move(options)),
      scheme_host_port_(std::move(scheme_host_port)),
      prefix_(std::move(prefix)) {}

HttpSender::~HttpSender() = default;

std::unique_ptr<httplib::Client> HttpSender::Acquire() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
  }
  auto c = std::make_unique<httplib::Client>(scheme_host_port_);
  c->set_tcp_nodelay(true);
  c->set_keep_alive(true);
  c->set_follow_location(false);
  SetTimeout(options_.connect_timeout_ms, [&](time_t s, time_t us) { c->set_connection_timeout(s, us); });
  SetTimeout(options_.read_timeout_ms, [&](time_t s, time_t us) { c->set_read_timeout(s, us); });
  SetTimeout(options_.write_timeout_ms, [&](time_t s, time_t us) { c->set_write_timeout(s, us); });
  c->enable_server_certificate_verification(options_.verify_tls);
  if (!options_.ca_path.empty()) c->set_ca_cert_path(options_.ca_path);
  return c;
}

void HttpSender::Release(std::unique_ptr<httplib::Client> client) {
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.size() < static_cast<size_t>(std::max(1, options_.max_idle_connections))) idle_.push_back(std::move(client));
}

HttpAnswer HttpSender::Send(std::string_view method, const std::string& path,
                            const std::vector<std::pair<std::string, std::string>>& headers,
                            const std::string& body) {
  HttpAnswer answer;
  httplib::Request req;
  req.method = std::string(method);
  req.path = prefix_ + path;
  bool has_content_type = false;
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, "Content-Type")) has_content_type = true;
    req.headers.emplace(k, v);
  }
  if (!body.empty() && !has_content_type) req.headers.emplace("Content-Type", "application/json");
  req.body = body;

  auto client = Acquire();
  const int64_t start = SteadyMs();
  httplib::Result res = client->send(req);
  answer.duration_ms = SteadyMs() - start;
  if (!res) {
    httplib::Error err = res.error();
    switch (err) {
      case httplib::Error::Connection:
      case httplib::Error::ConnectionTimeout:
      case httplib::Error::BindIPAddress:
      case httplib::Error::SSLConnection:
      case httplib::Error::SSLLoadingCerts:
      case httplib::Error::SSLServerVerification:
        answer.transport = TransportError::kNotSent;
        break;
      default:
        answer.transport = TransportError::kAmbiguous;
        break;
    }
    answer.error = err == httplib::Error::Read ? "read failed (timeout, reset or truncated answer)"
                                               : httplib::to_string(err);
    // A failed connection may be half-broken: do not reuse it.
    return answer;
  }
  answer.status = res->status;
  answer.body = std::move(res->body);
  for (const auto& [k, v] : res->headers) answer.headers.emplace_back(k, v);
  Release(std::move(client));
  return answer;
}

}  // namespace deskhook
