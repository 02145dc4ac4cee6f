// Internal to host/http: one connection, plain TCP or TLS, as a chain of asynchronous steps on
// its loop: [handshake] -> read head -> [100 Continue] -> read body -> handle -> write answer ->
// read head ... (or, when the handler asks for no answer, a reset). Deadlines are checked by the
// loop's sweep, not by a timer per operation.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <type_traits>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http.hpp>

#include "host/http/server_internal.h"

namespace deskhook::http::internal {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using TlsStream = asio::ssl::stream<tcp::socket>;

HttpRequest ToRequest(bhttp::request<bhttp::string_body>&& msg);
void FillResponse(const HttpResponse& in, unsigned version, bool keep_alive,
                  bhttp::response<bhttp::string_body>* out);
// The answer to a request the parser refused (413, 431, 400), or nullopt to just close.
std::optional<HttpResponse> ReadErrorResponse(const beast::error_code& ec);

template <class Stream>
class Session final : public SessionBase {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;
  enum class Phase { kHandshake, kIdle, kReading, kHandling, kWriting, kClosing, kClosed };

 public:
  Session(Shared& shared, Loop& loop, Stream stream) : shared_(shared), loop_(loop), stream_(std::move(stream)) {}

  void Start() {
    if constexpr (kTls) {
      phase_ = Phase::kHandshake;
      deadline_ = Clock::now() + std::chrono::milliseconds(shared_.options.read_timeout_ms);
      stream_.async_handshake(asio::ssl::stream_base::server, [self = Self()](const beast::error_code& ec) {
        if (ec) return self->Close();
        self->ReadHead();
      });
    } else {
      ReadHead();
    }
  }

  void Sweep(Clock::time_point now) override {
    if (phase_ == Phase::kHandling || phase_ == Phase::kClosed || now < deadline_) return;
    if (phase_ != Phase::kClosing) shared_.timeouts++;
    Close();
  }

  void CloseIfIdle() override {
    if (phase_ == Phase::kHandshake || phase_ == Phase::kIdle) Close();
  }

  void Close() override {
    if (phase_ == Phase::kClosed) return;
    phase_ = Phase::kClosed;
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).close(ignored);  // pending operations end with operation_aborted
    shared_.open--;
    loop_.sessions.erase(self_in_loop);  // may drop the last owner: touch nothing after this
  }

  void OnResponse(uint64_t request_no, HttpResponse response) override {
    if (phase_ != Phase::kHandling || request_no != requests_) return;
    Write(std::move(response));
  }

  asio::io_context& context() override { return loop_.ctx; }

 private:
  std::shared_ptr<Session> Self() { return std::static_pointer_cast<Session>(shared_from_this()); }

  void ReadHead() {
    if (shared_.stopping) return Close();
    phase_ = Phase::kIdle;
    deadline_ = Clock::now() + (requests_ == 0 ? std::chrono::milliseconds(shared_.options.read_timeout_ms)
                                               : std::chrono::milliseconds(1000LL * shared_.options.keep_alive_timeout_s));
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(shared_.options.header_limit_bytes));
    parser_->body_limit(static_cast<uint64_t>(shared_.options.body_limit_bytes));
    bhttp::async_read_header(stream_, buffer_, *parser_, [self = Self()](const beast::error_code& ec, size_t) {
      if (ec) return self->OnReadError(ec);
      self->OnHead();
    });
  }

  void OnHead() {
    phase_ = Phase::kReading;
    deadline_ = Clock::now() + std::chrono::milliseconds(shared_.options.read_timeout_ms);
    const auto& head = parser_->get();
    if (beast::iequals(head[bhttp::field::expect], "100-continue") && !parser_->is_done()) {
      static const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
      asio::async_write(stream_, asio::buffer(kContinue, sizeof(kContinue) - 1),
                        [self = Self()](const beast::error_code& ec, size_t) {
                          if (ec) return self->Close();
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    bhttp::async_read(stream_, buffer_, *parser_, [self = Self()](const beast::error_code& ec, size_t) {
      if (ec) return self->OnReadError(ec);
      self->Dispatch();
    });
  }

  void OnReadError(const beast::error_code& ec) {
    if (phase_ == Phase::kClosed) return;
    std::optional<HttpResponse> answer = phase_ == Phase::kIdle && ec == bhttp::error::end_of_stream
                                              ? std::nullopt
                                              : ReadErrorResponse(ec);
    if (!answer) return Close();
    keep_alive_ = false;
    version_ = 11;
    phase_ = Phase::kHandling;
    Write(std::move(*answer));
  }

  void Dispatch() {
    ++requests_;
    shared_.requests++;
    bhttp::request<bhttp::string_body> msg = parser_->release();
    parser_.reset();
    version_ = msg.version();
    keep_alive_ = msg.keep_alive() && requests_ < static_cast<uint64_t>(shared_.options.keep_alive_max_requests);
    HttpRequest req = ToRequest(std::move(msg));
    phase_ = Phase::kHandling;
    Router::Match m = shared_.router.Find(req.method, req.path, &req.captures);
    if (m.route == nullptr) {
      HttpResponse r = m.path_known ? HttpResponse::Json(405, ErrorBody("method_not_allowed", "use " + m.allow))
                                    : HttpResponse::Json(404, ErrorBody("not_found", "no such endpoint"));
      if (m.path_known) r.headers.emplace_back("Allow", m.allow);
      return Write(std::move(r));
    }
    const Router::Route* route = m.route;
    if (!route->async && route->run_on == RunOn::kOnLoop) {
      return Write(RunSync(*route, req));  // already on the loop: no hand-off through a responder
    }
    Responder responder(std::make_shared<LoopExchange>(weak_from_this(), shared_.gate, requests_));
    if (route->async) {
      try {
        route->async(std::move(req), responder);
      } catch (const std::exception&) {
        responder.Send(HttpResponse::Json(500, ErrorBody("internal", "unexpected error; see the log")));
      }
    } else {
      asio::post(*shared_.workers, [route, req = std::move(req), responder]() { responder.Send(RunSync(*route, req)); });
    }
  }

  static HttpResponse RunSync(const Router::Route& route, const HttpRequest& req) {
    try {
      return route.sync(req);
    } catch (const std::exception&) {
      return HttpResponse::Json(500, ErrorBody("internal", "unexpected error; see the log"));
    }
  }

  void Write(HttpResponse response) {
    if (response.abort) return Abort();
    if (shared_.stopping) keep_alive_ = false;
    res_.emplace();
    FillResponse(response, version_, keep_alive_, &*res_);
    phase_ = Phase::kWriting;
    deadline_ = Clock::now() + std::chrono::milliseconds(shared_.options.write_timeout_ms);
    bhttp::async_write(stream_, *res_, [self = Self()](const beast::error_code& ec, size_t) {
      self->res_.reset();
      if (ec) return self->Close();
      if (self->keep_alive_) return self->ReadHead();
      self->Finish();
    });
  }

  // The handler chose not to answer (HttpResponse::abort): a RST instead of a FIN, and for TLS
  // no close_notify, so the client sees the connection fail rather than end.
  void Abort() {
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).set_option(asio::socket_base::linger(true, 0), ignored);
    Close();
  }

  // Closes after the answer without a reset: TLS close_notify, or (plain) a half-close and
  // whatever the client still sends read and dropped, so a 413's answer is not lost to a RST
  // of its unread body. Bounded by the write timeout.
  void Finish() {
    phase_ = Phase::kClosing;
    deadline_ = Clock::now() + std::chrono::milliseconds(std::min(shared_.options.write_timeout_ms, 2000));
    if constexpr (kTls) {
      stream_.async_shutdown([self = Self()](const beast::error_code&) { self->Close(); });
    } else {
      beast::error_code ignored;
      stream_.shutdown(tcp::socket::shutdown_send, ignored);
      Drain();
    }
  }

  void Drain() {
    if constexpr (!kTls) {
      buffer_.clear();  // what the client still sends is read into it and dropped
      stream_.async_read_some(buffer_.prepare(4096), [self = Self()](const beast::error_code& ec, size_t) {
        if (ec) return self->Close();
        self->Drain();
      });
    }
  }

  Shared& shared_;
  Loop& loop_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<bhttp::response<bhttp::string_body>> res_;
  Phase phase_ = Phase::kIdle;
  Clock::time_point deadline_ = Clock::time_point::max();
  uint64_t requests_ = 0;
  unsigned version_ = 11;
  bool keep_alive_ = true;
};

}  // namespace deskhook::http::internal
