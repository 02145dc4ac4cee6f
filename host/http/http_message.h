// The request and response values of deskhook's HTTP server (host/http/server.h), and the
// Responder a handler completes a request with. Independent of the HTTP library underneath.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/model/headers.h"

namespace deskhook::http {

struct HttpRequest {
  std::string method;                 // "GET", "POST", ... as sent
  std::string target;                 // the request target as sent: "/api/events?ticket=7"
  std::string path;                   // target up to '?', not decoded
  std::vector<std::pair<std::string, std::string>> query;  // decoded ('+' and %XX)
  HeaderMap headers;
  std::string body;
  std::vector<std::string> captures;  // the path segments the route's "{}" matched, in order

  // First value of query parameter `name`, "" when absent.
  std::string_view Param(std::string_view name) const;
  bool HasParam(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra ones (Retry-After, Allow)
  // No answer at all: the server resets the connection (SO_LINGER 0, then close, so the client
  // gets a RST rather than a FIN) without sending a byte of this response, whose other fields
  // are ignored. The client cannot tell whether its request was carried out, as when a server
  // crashes or a proxy drops the connection mid-answer. For test doubles that inject that
  // failure; other handlers answer, even with an error.
  bool abort = false;

  static HttpResponse Json(int status, std::string body) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    return r;
  }
  static HttpResponse Abort() {
    HttpResponse r;
    r.abort = true;
    return r;
  }
};

// {"error": code, "reason": reason}, the shape of every refusal deskhook sends.
std::string ErrorBody(std::string_view code, std::string_view reason);

// Completes one request: Send() once, from any thread. Copies share one exchange; the first
// Send() wins and later ones are ignored. When the last copy goes away without a Send() the
// client gets a 500, so a handler that loses a request never leaves a connection hanging.
class Responder {
 public:
  // What the server plugs in: delivers the response to the connection (called at most once).
  class Exchange {
   public:
    virtual ~Exchange() = default;
    virtual void Deliver(HttpResponse response) = 0;
  };

  Responder() = default;
  explicit Responder(std::shared_ptr<Exchange> exchange);

  void Send(HttpResponse response) const;
  bool sent() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

// Percent-decodes `in` ('+' as space when `plus_is_space`); invalid escapes are kept as is.
std::string PercentDecode(std::string_view in, bool plus_is_space);
// Splits a query string ("a=1&b=x%20y") into decoded pairs.
std::vector<std::pair<std::string, std::string>> ParseQuery(std::string_view query);

}  // namespace deskhook::http
