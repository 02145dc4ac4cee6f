#include "host/http/router.h"

namespace deskhook::http {
namespace {

// "/api/events/7" -> {"api", "events", "7"}; an empty segment (a "//" or trailing "/") is kept,
// so "/healthz/" does not match "/healthz".
std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  for (;;) {
    const size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

bool Matches(const Router::Route& route, const std::vector<std::string_view>& parts,
             std::vector<std::string>* captures) {
  if (route.segments.size() != parts.size()) return false;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (route.segments[i] == "{}") {
      if (parts[i].empty()) return false;
    } else if (route.segments[i] != parts[i]) {
      return false;
    }
  }
  if (captures != nullptr) {
    captures->clear();
    for (size_t i = 0; i < parts.size(); ++i) {
      if (route.segments[i] == "{}") captures->emplace_back(parts[i]);
    }
  }
  return true;
}

}  // namespace

Router& Router::Add(std::string method, std::string pattern, SyncHandler sync, AsyncHandler async, RunOn run_on) {
  Route r;
  r.method = std::move(method);
  for (std::string_view s : Split(pattern)) r.segments.emplace_back(s);
  r.sync = std::move(sync);
  r.async = std::move(async);
  r.run_on = run_on;
  routes_.push_back(std::move(r));
  return *this;
}

Router& Router::Get(std::string pattern, SyncHandler handler, RunOn run_on) {
  return Add("GET", std::move(pattern), std::move(handler), nullptr, run_on);
}
Router& Router::Post(std::string pattern, SyncHandler handler, RunOn run_on) {
  return Add("POST", std::move(pattern), std::move(handler), nullptr, run_on);
}
Router& Router::Put(std::string pattern, SyncHandler handler, RunOn run_on) {
  return Add("PUT", std::move(pattern), std::move(handler), nullptr, run_on);
}
Router& Router::PostAsync(std::string pattern, AsyncHandler handler) {
  return Add("POST", std::move(pattern), nullptr, std::move(handler), RunOn::kOnLoop);
}

Router& Router::Fallback(AsyncHandler handler) {
  Route r;
  r.async = std::move(handler);
  r.run_on = RunOn::kOnLoop;
  fallback_ = std::move(r);
  return *this;
}

Router::Match Router::Find(std::string_view method, std::string_view path, std::vector<std::string>* captures) const {
  Match m;
  const std::vector<std::string_view> parts = Split(path);
  for (const Route& r : routes_) {
    if (r.method == method) {
      if (Matches(r, parts, captures)) {
        m.route = &r;
        return m;
      }
    } else if (Matches(r, parts, nullptr)) {
      m.path_known = true;
      if (m.allow.find(r.method) == std::string::npos) m.allow += (m.allow.empty() ? "" : ", ") + r.method;
    }
  }
  if (fallback_) {
    m.route = &*fallback_;
    if (captures != nullptr) captures->clear();
  }
  return m;
}

}  // namespace deskhook::http
