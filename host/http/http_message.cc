#include "host/http/http_message.h"

#include <atomic>

#include <boost/json.hpp>

namespace deskhook::http {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string_view HttpRequest::Param(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return v;
  }
  return {};
}

bool HttpRequest::HasParam(std::string_view name) const {
  for (const auto& kv : query) {
    if (kv.first == name) return true;
  }
  return false;
}

std::string ErrorBody(std::string_view code, std::string_view reason) {
  return boost::json::serialize(boost::json::object{{"error", code}, {"reason", reason}});
}

struct Responder::State {
  explicit State(std::shared_ptr<Exchange> e) : exchange(std::move(e)) {}
  ~State() {
    if (!sent.exchange(true) && exchange) {
      exchange->Deliver(HttpResponse::Json(500, ErrorBody("internal", "the request was not answered; see the log")));
    }
  }
  std::shared_ptr<Exchange> exchange;
  std::atomic<bool> sent{false};
};

Responder::Responder(std::shared_ptr<Exchange> exchange) : state_(std::make_shared<State>(std::move(exchange))) {}

void Responder::Send(HttpResponse response) const {
  if (!state_ || state_->sent.exchange(true)) return;
  state_->exchange->Deliver(std::move(response));
}

bool Responder::sent() const { return state_ && state_->sent.load(); }

std::string PercentDecode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < in.size() && HexValue(in[i + 1]) >= 0 && HexValue(in[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(in[i + 1]) * 16 + HexValue(in[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ParseQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    out.emplace_back(PercentDecode(pair.substr(0, eq), true),
                     eq == std::string_view::npos ? std::string() : PercentDecode(pair.substr(eq + 1), true));
  }
  return out;
}

}  // namespace deskhook::http
