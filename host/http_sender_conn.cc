#include "host/http_sender_conn.h"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>

#include "host/http_sender_resolve.h"
#include "host/http_sender_socket.h"

namespace deskhook::sender_internal {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using Clock = std::chrono::steady_clock;
using TlsStream = ssl::stream<TimedSocket>;

constexpr size_t kHeaderLimitBytes = 64 << 10;
constexpr size_t kReadBufferBytes = 16 << 10;  // a typical answer arrives in one recv()
constexpr int kMaxInterimAnswers = 4;           // "100 Continue" and the like, before the answer

TimedSocket& Socket(TimedSocket& s) { return s; }
TimedSocket& Socket(TlsStream& s) { return s.next_layer(); }

std::string Ms(int64_t ms) { return std::to_string(ms) + " ms"; }

std::string ReadErrorText(const error_code& ec, const HttpSenderOptions& o) {
  if (ec == asio::error::timed_out) return "read timeout (" + Ms(o.read_timeout_ms) + ")";
  if (ec == bhttp::error::end_of_stream) return "connection closed before an answer";
  if (ec == bhttp::error::partial_message) return "answer truncated (connection closed mid-answer)";
  if (ec == ssl::error::stream_truncated) {
    return "answer truncated (TLS connection closed mid-answer)";
  }
  if (ec == asio::error::connection_reset) return "connection reset while waiting for the answer";
  if (ec == bhttp::error::body_limit) {
    return "answer body over " + std::to_string(o.max_answer_body_bytes) + " bytes: refused";
  }
  if (ec == bhttp::error::header_limit) {
    return "answer head over " + std::to_string(kHeaderLimitBytes) + " bytes: refused";
  }
  return "reading the answer: " + ec.message();
}

// "timeout=5, max=100" -> 5000; 0 when there is no timeout parameter.
int64_t KeepAliveTimeoutMs(std::string_view v) {
  const size_t at = v.find("timeout=");
  if (at == std::string_view::npos) return 0;
  int64_t s = 0;
  for (size_t i = at + 8; i < v.size() && v[i] >= '0' && v[i] <= '9' && s < 1000000; ++i) {
    s = s * 10 + (v[i] - '0');
  }
  return s * 1000;
}

// Beast's parser keeping the answer the way HttpAnswer wants it: every header in the order
// received (Beast's own fields group repeated names together) and the body appended to one
// string. The limits (head, body) are the base parser's.
class AnswerParser final : public bhttp::basic_parser<false> {
 public:
  explicit AnswerParser(HttpAnswer* out) : out_(out) {}
  int status() const { return status_; }
  int64_t keep_alive_timeout_ms() const { return keep_alive_timeout_ms_; }

 private:
  void on_request_impl(bhttp::verb, beast::string_view, beast::string_view, int,
                       error_code&) override {}
  void on_response_impl(int code, beast::string_view, int, error_code&) override { status_ = code; }
  void on_field_impl(bhttp::field name, beast::string_view name_string, beast::string_view value,
                     error_code&) override {
    out_->headers.emplace_back(std::string(name_string), std::string(value));
    if (name == bhttp::field::keep_alive) keep_alive_timeout_ms_ = KeepAliveTimeoutMs(value);
  }
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code&) override {
    if (length) out_->body.reserve(static_cast<size_t>(*length));  // within the body limit
  }
  size_t on_body_impl(beast::string_view data, error_code&) override {
    out_->body.append(data.data(), data.size());
    return data.size();
  }
  void on_chunk_header_impl(std::uint64_t, beast::string_view, error_code&) override {}
  size_t on_chunk_body_impl(std::uint64_t, beast::string_view data, error_code&) override {
    out_->body.append(data.data(), data.size());
    return data.size();
  }
  void on_finish_impl(error_code&) override {}

  HttpAnswer* out_;
  int status_ = 0;
  int64_t keep_alive_timeout_ms_ = 0;
};

template <class Stream>
class ConnectionT final : public Connection {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  template <class... Args>
  explicit ConnectionT(const HttpSenderOptions& options, Args&&... args)
      : options_(options), stream_(std::forward<Args>(args)...) {
    buffer_.reserve(kReadBufferBytes);
  }

  Stream& stream() { return stream_; }

  bool Exchange(const std::string& request, bool head_request, HttpAnswer* answer) override {
    TimedSocket& socket = Socket(stream_);
    error_code ec;
    socket.SetDeadline(options_.write_timeout_ms);
    asio::write(stream_, asio::buffer(request), ec);
    if (ec) {
      return Fail(answer, ec == asio::error::timed_out
                              ? "write timeout (" + Ms(options_.write_timeout_ms) + ")"
                              : "writing the request: " + ec.message());
    }
    socket.SetDeadline(options_.read_timeout_ms);
    for (int interim = 0;; ++interim) {
      AnswerParser parser(answer);
      parser.header_limit(kHeaderLimitBytes);
      parser.body_limit(options_.max_answer_body_bytes);
      if (head_request) parser.skip(true);
      bhttp::read(stream_, buffer_, parser, ec);
      // A TLS server that ends an answer without length by closing without close_notify: the
      // body ends there (as with plain TCP and the old client). Answers with a length or chunks
      // still fail when cut short.
      if (ec == ssl::error::stream_truncated && parser.is_header_done() && parser.need_eof()) {
        parser.put_eof(ec);
      }
      if (ec) return Fail(answer, ReadErrorText(ec, options_));
      if (parser.status() < 200 && parser.status() != 101) {  // "100 Continue" and the like
        if (interim == kMaxInterimAnswers) return Fail(answer, "too many interim (1xx) answers");
        answer->headers.clear();
        continue;
      }
      answer->status = parser.status();
      idle_limit_ms_ = parser.keep_alive_timeout_ms();
      idle_since_ = Clock::now();
      // Bytes after the answer were not asked for: the connection is out of step. After a
      // 101 the connection speaks another protocol.
      return parser.keep_alive() && !parser.need_eof() && buffer_.size() == 0 &&
             parser.status() != 101;
    }
  }

  bool StillUsable() override {
    const auto idle = Clock::now() - idle_since_;
    if (options_.max_idle_ms > 0 && idle >= std::chrono::milliseconds(options_.max_idle_ms)) {
      return false;
    }
    if (idle_limit_ms_ > 0) {
      // Leave a margin: a request sent just as the server closes the connection is ambiguous.
      const int64_t margin = std::min<int64_t>(1000, idle_limit_ms_ / 2);
      if (idle >= std::chrono::milliseconds(idle_limit_ms_ - margin)) return false;
    }
    if constexpr (kTls) {
      if (SSL_has_pending(stream_.native_handle())) return false;  // e.g. a close_notify
    }
    return Socket(stream_).QuietAndOpen();
  }

 private:
  static bool Fail(HttpAnswer* answer, std::string error) {
    answer->status = 0;
    answer->transport = TransportError::kAmbiguous;
    answer->error = std::move(error);
    answer->headers.clear();
    answer->body.clear();
    return false;
  }

  const HttpSenderOptions& options_;
  Stream stream_;
  beast::flat_buffer buffer_;
  Clock::time_point idle_since_{};
  int64_t idle_limit_ms_ = 0;  // from the server's Keep-Alive: timeout=N; 0 = not said
};

std::string ConnectErrorText(const error_code& ec, const std::string& tried, int64_t timeout_ms) {
  if (ec == asio::error::timed_out) {
    return "connect to " + tried + ": timeout (" + Ms(timeout_ms) + ")";
  }
  return "connect to " + tried + ": " + ec.message();
}

}  // namespace

struct Dialer::Impl {
  Target target;
  HttpSenderOptions options;
  bool host_is_ip = false;
  // Owns the sockets' registration with its reactor; never run (every operation is synchronous).
  asio::io_context io;
  std::optional<ssl::context> tls;
  std::string tls_setup_error;  // CA file not loadable: every Open fails with it

  std::unique_ptr<Connection> OpenPlain(const Endpoints& endpoints, std::string* error);
  std::unique_ptr<Connection> OpenTls(const Endpoints& endpoints, std::string* error);
};

Dialer::Dialer(Target target, const HttpSenderOptions& options) : impl_(std::make_unique<Impl>()) {
  Impl& d = *impl_;
  d.target = std::move(target);
  d.options = options;
  error_code ec;
  asio::ip::make_address(d.target.host, ec);
  d.host_is_ip = !ec;
  if (!d.target.tls) return;
  d.tls.emplace(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(d.tls->native_handle(), TLS1_2_VERSION);
  d.tls->set_options(ssl::context::default_workarounds | ssl::context::no_compression);
  if (!options.verify_tls) {
    d.tls->set_verify_mode(ssl::verify_none);
    return;
  }
  d.tls->set_verify_mode(ssl::verify_peer);
  if (options.ca_path.empty()) {
    d.tls->set_default_verify_paths(ec);
    if (ec) d.tls_setup_error = "TLS: system CA certificates not loadable: " + ec.message();
  } else {
    d.tls->load_verify_file(options.ca_path, ec);
    if (ec) {
      d.tls_setup_error = "TLS: ca_path " + options.ca_path + " not loadable: " + ec.message();
    }
  }
}

Dialer::~Dialer() = default;

const Target& Dialer::target() const { return impl_->target; }

std::unique_ptr<Connection> Dialer::Open(std::string* error) {
  Impl& d = *impl_;
  if (!d.tls_setup_error.empty()) {
    *error = d.tls_setup_error;
    return nullptr;
  }
  error_code ec;
  // An address needs no name server: looked up here. A name gets the connect timeout.
  const Endpoints endpoints =
      d.host_is_ip ? SystemLookup(d.target.host, d.target.port, &ec)
                   : ResolveWithin(d.target.host, d.target.port, d.options.connect_timeout_ms, &ec);
  if (ec == boost::asio::error::timed_out) {
    *error = "resolving " + d.target.host + ": no answer within " + std::to_string(d.options.connect_timeout_ms) +
             " ms (connect_timeout_ms)";
    return nullptr;
  }
  if (ec) {
    *error = "resolving " + d.target.host + ": " + ec.message();
    return nullptr;
  }
  return d.target.tls ? d.OpenTls(endpoints, error) : d.OpenPlain(endpoints, error);
}

std::unique_ptr<Connection> Dialer::Impl::OpenPlain(const Endpoints& endpoints, std::string* error) {
  auto c = std::make_unique<ConnectionT<TimedSocket>>(options, io);
  std::string tried;
  if (error_code ec = c->stream().Connect(endpoints, options.connect_timeout_ms, &tried)) {
    *error = ConnectErrorText(ec, tried, options.connect_timeout_ms);
    return nullptr;
  }
  return c;
}

std::unique_ptr<Connection> Dialer::Impl::OpenTls(const Endpoints& endpoints, std::string* error) {
  auto c = std::make_unique<ConnectionT<TlsStream>>(options, io, *tls);
  std::string tried;
  TimedSocket& socket = c->stream().next_layer();
  if (error_code ec = socket.Connect(endpoints, options.connect_timeout_ms, &tried)) {
    *error = ConnectErrorText(ec, tried, options.connect_timeout_ms);
    return nullptr;
  }
  SSL* ssl = c->stream().native_handle();
  // SNI carries host names only (RFC 6066); the certificate must name the host (or the IP).
  if (!host_is_ip && SSL_set_tlsext_host_name(ssl, target.host.c_str()) != 1) {
    *error = "TLS: cannot set the server name " + target.host;
    return nullptr;
  }
  if (options.verify_tls) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    const int ok = host_is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, target.host.c_str())
                              : X509_VERIFY_PARAM_set1_host(param, target.host.c_str(), 0);
    if (ok != 1) {
      *error = "TLS: cannot check the certificate against " + target.host;
      return nullptr;
    }
  }
  // The handshake gets its own connect timeout, as with the old client.
  socket.SetDeadline(options.connect_timeout_ms);
  error_code ec;
  c->stream().handshake(ssl::stream_base::client, ec);
  if (ec) {
    *error = "TLS handshake with " + tried + ": " +
             (ec == asio::error::timed_out ? "timeout (" + Ms(options.connect_timeout_ms) + ")"
                                           : ec.message());
    const long verify = options.verify_tls ? SSL_get_verify_result(ssl) : X509_V_OK;
    if (verify != X509_V_OK) {
      *error += std::string(" (") + X509_verify_cert_error_string(verify) + ")";
    }
    return nullptr;
  }
  return c;
}

}  // namespace deskhook::sender_internal
