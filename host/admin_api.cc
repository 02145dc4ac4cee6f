#include "host/admin_api.h"

#include <openssl/crypto.h>

#include <boost/json.hpp>

#include "host/http/router.h"
#include "host/ingest.h"

namespace deskhook {
namespace json = boost::json;
namespace {

const char* StateName(EventState s) {
  switch (s) {
    case EventState::kPending: return "pending";
    case EventState::kDone: return "done";
    case EventState::kFailed: return "failed";
    case EventState::kSkipped: return "skipped";
  }
  return "pending";
}

json::value ParseOrString(const std::string& text) {
  json::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return json::value(text);
  return v;
}

int StatusFor(const Status& s) {
  switch (s.code()) {
    case Code::kNotFound: return 404;
    case Code::kInvalidArgument: return 400;
    case Code::kUnavailable: return 503;
    default: return 500;
  }
}

http::HttpResponse StatusResponse(const Status& s) {
  return http::HttpResponse::Json(StatusFor(s), ErrorJson(CodeName(s.code()), s.message()));
}

int LimitParam(const http::HttpRequest& req, int fallback) {
  if (!req.HasParam("limit")) return fallback;
  try {
    int n = std::stoi(std::string(req.Param("limit")));
    return std::clamp(n, 1, 1000);
  } catch (...) {
    return fallback;
  }
}

// A decimal id of 1 to 18 digits.
std::optional<int64_t> ParseId(const std::string& s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  return std::stoll(s);
}

// The body of POST /api/pipeline/pause: empty, or {"reason": "..."} (at most 500 bytes).
Result<std::string> PauseReason(const std::string& body) {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) return std::string();
  json::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return Status::InvalidArgument("body must be a JSON object: {\"reason\": \"...\"}");
  const json::value* r = v.as_object().if_contains("reason");
  if (r == nullptr || r->is_null()) return std::string();
  if (!r->is_string()) return Status::InvalidArgument("reason must be a string");
  if (r->as_string().size() > 500) return Status::InvalidArgument("reason is over 500 bytes");
  return std::string(r->as_string());
}

}  // namespace

std::string EventJson(const StoredEvent& e, bool with_body) {
  json::object o{{"id", e.id}, {"instance", e.instance}, {"ticket_id", e.ticket_id}, {"kind", e.kind},
                 {"state", StateName(e.state)}, {"received_ms", e.received_ms}, {"processed_ms", e.processed_ms},
                 {"meta", ParseOrString(e.meta_json)}};
  if (with_body) o["payload"] = ParseOrString(e.body);
  return json::serialize(o);
}

std::string OutboxItemJson(const OutboxItem& i) {
  return json::serialize(json::object{
      {"id", i.id}, {"event_id", i.event_id}, {"seq", i.seq}, {"instance", i.instance},
      {"ticket_id", i.ticket_id}, {"kind", i.call.kind}, {"method", i.call.method}, {"path", i.call.path},
      {"body", i.call.body}, {"state", OutboxStateName(i.state)}, {"attempts", i.attempts},
      {"next_attempt_ms", i.next_attempt_ms}, {"last_status", i.last_status}, {"last_error", i.last_error},
      {"created_ms", i.created_ms}, {"updated_ms", i.updated_ms}});
}

AdminApi::AdminApi(Store* store, std::string token, AdminHandlers handlers)
    : store_(store), token_(std::move(token)), handlers_(std::move(handlers)) {}

bool AdminApi::Authorized(const std::string& header) const {
  if (token_.empty()) return false;
  const std::string expected = "Bearer " + token_;
  return header.size() == expected.size() && CRYPTO_memcmp(header.data(), expected.data(), header.size()) == 0;
}

void AdminApi::Register(http::Router& r) {
  using http::HttpRequest;
  using http::HttpResponse;
  // Every /api/ route goes through this guard first.
  auto guarded = [this](auto fn) {
    return [this, fn](const HttpRequest& req) -> HttpResponse {
      if (token_.empty()) {
        return HttpResponse::Json(403, ErrorJson("forbidden", "admin API disabled: set admin.token in the config"));
      }
      if (!Authorized(std::string(req.headers.Get("Authorization")))) {
        HttpResponse res = HttpResponse::Json(401, ErrorJson("unauthenticated", "missing or wrong bearer token"));
        res.headers.emplace_back("WWW-Authenticate", "Bearer");
        return res;
      }
      return fn(req);
    };
  };
  // Routes with an id segment ("/api/events/{}"): a segment that is not a number is no route.
  auto with_id = [](auto fn) {
    return [fn](const HttpRequest& req) -> HttpResponse {
      std::optional<int64_t> id = ParseId(req.captures.at(0));
      if (!id) return HttpResponse::Json(404, ErrorJson("not_found", "no such endpoint"));
      return fn(req, *id);
    };
  };

  r.Get("/api/events", guarded([this](const HttpRequest& req) {
    int limit = LimitParam(req, 100);
    Result<std::vector<StoredEvent>> events =
        req.HasParam("ticket")
            ? store_->EventsForTicket(std::string(req.Param("instance")), std::string(req.Param("ticket")), limit)
            : store_->RecentEvents(limit);
    if (!events.ok()) return StatusResponse(events.status());
    std::string out = "[";
    for (const auto& e : *events) {
      if (out.size() > 1) out += ',';
      out += EventJson(e, false);
    }
    out += ']';
    return HttpResponse::Json(200, std::move(out));
  }));

  r.Get("/api/events/{}", guarded(with_id([this](const HttpRequest&, int64_t id) {
    Result<StoredEvent> e = store_->GetEvent(id);
    if (!e.ok()) return StatusResponse(e.status());
    Result<std::vector<LogEntry>> log = store_->LogFor(id);
    if (!log.ok()) return StatusResponse(log.status());
    json::value v = json::parse(EventJson(*e, true));
    json::array entries;
    for (const auto& l : *log) {
      entries.push_back(json::object{{"stage", l.stage}, {"time_ms", l.time_ms}, {"record", ParseOrString(l.record_json)}});
    }
    v.as_object()["decision_log"] = std::move(entries);
    Result<std::vector<OutboxItem>> items = store_->OutboxForEvent(id);
    json::array calls;
    if (items.ok()) {
      for (const auto& i : *items) calls.push_back(json::parse(OutboxItemJson(i)));
    }
    v.as_object()["outbox"] = std::move(calls);
    return HttpResponse::Json(200, json::serialize(v));
  })));

  r.Get("/api/outbox", guarded([this](const HttpRequest& req) {
    std::optional<OutboxState> state;
    std::string_view want = req.Param("state");
    for (auto st : {OutboxState::kPending, OutboxState::kDone, OutboxState::kDead, OutboxState::kDropped}) {
      if (want == OutboxStateName(st)) state = st;
    }
    if (!want.empty() && !state) {
      return HttpResponse::Json(400, ErrorJson("bad_request", "state must be pending, done, dead or dropped"));
    }
    auto items = store_->ListOutbox(state, LimitParam(req, 100));
    if (!items.ok()) return StatusResponse(items.status());
    std::string out = "[";
    for (const auto& i : *items) {
      if (out.size() > 1) out += ',';
      out += OutboxItemJson(i);
    }
    out += ']';
    return HttpResponse::Json(200, std::move(out));
  }));

  auto outbox_action = [this](std::function<Status(int64_t)> AdminHandlers::*fn) {
    return [this, fn](const HttpRequest&, int64_t id) {
      if (!(handlers_.*fn)) return StatusResponse(Status::Unavailable("outbox delivery is not running"));
      Status st = (handlers_.*fn)(id);
      if (!st.ok()) return StatusResponse(st);
      return HttpResponse::Json(200, "{\"status\":\"ok\"}");
    };
  };
  r.Post("/api/outbox/{}/retry", guarded(with_id(outbox_action(&AdminHandlers::outbox_retry))));
  r.Post("/api/outbox/{}/drop", guarded(with_id(outbox_action(&AdminHandlers::outbox_drop))));

  r.Get("/api/faq-drafts", guarded([this](const HttpRequest& req) {
    if (!handlers_.faq_list) return StatusResponse(Status::Unavailable("FAQ drafting is not configured"));
    return HttpResponse::Json(200, handlers_.faq_list(std::string(req.Param("state"))));
  }));
  auto faq_action = [this](const std::string& action) {
    return [this, action](const HttpRequest& req, int64_t id) {
      if (!handlers_.faq_act) return StatusResponse(Status::Unavailable("FAQ drafting is not configured"));
      Status st = handlers_.faq_act(id, action, req.body);
      if (!st.ok()) return StatusResponse(st);
      return HttpResponse::Json(200, "{\"status\":\"ok\"}");
    };
  };
  r.Post("/api/faq-drafts/{}/approve", guarded(with_id(faq_action("approve"))));
  r.Post("/api/faq-drafts/{}/reject", guarded(with_id(faq_action("reject"))));
  r.Put("/api/faq-drafts/{}", guarded(with_id(faq_action("edit"))));

  // The pause switch. Pausing twice keeps the first pause; the answer is the state either way.
  auto pipeline_available = [this] {
    return handlers_.pipeline_state && handlers_.pipeline_pause && handlers_.pipeline_resume;
  };
  r.Get("/api/pipeline", guarded([this, pipeline_available](const HttpRequest&) {
    if (!pipeline_available()) return StatusResponse(Status::Unavailable("the pipeline is not running"));
    return HttpResponse::Json(200, handlers_.pipeline_state());
  }));
  r.Post("/api/pipeline/pause", guarded([this, pipeline_available](const HttpRequest& req) {
    if (!pipeline_available()) return StatusResponse(Status::Unavailable("the pipeline is not running"));
    Result<std::string> reason = PauseReason(req.body);
    if (!reason.ok()) return StatusResponse(reason.status());
    if (Status st = handlers_.pipeline_pause(*reason); !st.ok()) return StatusResponse(st);
    return HttpResponse::Json(200, handlers_.pipeline_state());
  }));
  r.Post("/api/pipeline/resume", guarded([this, pipeline_available](const HttpRequest&) {
    if (!pipeline_available()) return StatusResponse(Status::Unavailable("the pipeline is not running"));
    if (Status st = handlers_.pipeline_resume(); !st.ok()) return StatusResponse(st);
    return HttpResponse::Json(200, handlers_.pipeline_state());
  }));

  r.Post("/api/override", guarded([this](const HttpRequest& req) {
    if (!handlers_.override_ticket) return StatusResponse(Status::Unavailable("overrides are not available"));
    Result<int64_t> id = handlers_.override_ticket(req.body);
    if (!id.ok()) return StatusResponse(id.status());
    return HttpResponse::Json(200, "{\"status\":\"queued\",\"event_id\":" + std::to_string(*id) + "}");
  }));
}

}  // namespace deskhook
