#include "host/admin_api.h"

#include <httplib.h>
#include <openssl/crypto.h>

#include <boost/json.hpp>

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

void SendStatus(httplib::Response& res, const Status& s) {
  res.status = StatusFor(s);
  res.set_content(ErrorJson(CodeName(s.code()), s.message()), "application/json");
}

int LimitParam(const httplib::Request& req, int fallback) {
  if (!req.has_param("limit")) return fallback;
  try {
    int n = std::stoi(req.get_param_value("limit"));
    return std::clamp(n, 1, 1000);
  } catch (...) {
    return fallback;
  }
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

void AdminApi::Register(httplib::Server& s) {
  // Every /api/ route goes through this guard first.
  auto guarded = [this](auto fn) {
    return [this, fn](const httplib::Request& req, httplib::Response& res) {
      if (token_.empty()) {
        res.status = 403;
        res.set_content(ErrorJson("forbidden", "admin API disabled: set admin.token in the config"), "application/json");
        return;
      }
      if (!Authorized(req.get_header_value("Authorization"))) {
        res.status = 401;
        res.set_header("WWW-Authenticate", "Bearer");
        res.set_content(ErrorJson("unauthenticated", "missing or wrong bearer token"), "application/json");
        return;
      }
      fn(req, res);
    };
  };

  s.Get("/api/events", guarded([this](const httplib::Request& req, httplib::Response& res) {
    int limit = LimitParam(req, 100);
    Result<std::vector<StoredEvent>> events =
        req.has_param("ticket")
            ? store_->EventsForTicket(req.get_param_value("instance"), req.get_param_value("ticket"), limit)
            : store_->RecentEvents(limit);
    if (!events.ok()) return SendStatus(res, events.status());
    std::string out = "[";
    for (const auto& e : *events) {
      if (out.size() > 1) out += ',';
      out += EventJson(e, false);
    }
    out += ']';
    res.set_content(out, "application/json");
  }));

  s.Get(R"(/api/events/(\d+))", guarded([this](const httplib::Request& req, httplib::Response& res) {
    int64_t id = std::stoll(req.matches[1].str());
    Result<StoredEvent> e = store_->GetEvent(id);
    if (!e.ok()) return SendStatus(res, e.status());
    Result<std::vector<LogEntry>> log = store_->LogFor(id);
    if (!log.ok()) return SendStatus(res, log.status());
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
    res.set_content(json::serialize(v), "application/json");
  }));

  s.Get("/api/outbox", guarded([this](const httplib::Request& req, httplib::Response& res) {
    std::optional<OutboxState> state;
    std::string want = req.get_param_value("state");
    for (auto st : {OutboxState::kPending, OutboxState::kDone, OutboxState::kDead, OutboxState::kDropped}) {
      if (want == OutboxStateName(st)) state = st;
    }
    if (!want.empty() && !state) {
      res.status = 400;
      res.set_content(ErrorJson("bad_request", "state must be pending, done, dead or dropped"), "application/json");
      return;
    }
    auto items = store_->ListOutbox(state, LimitParam(req, 100));
    if (!items.ok()) return SendStatus(res, items.status());
    std::string out = "[";
    for (const auto& i : *items) {
      if (out.size() > 1) out += ',';
      out += OutboxItemJson(i);
    }
    out += ']';
    res.set_content(out, "application/json");
  }));

  auto outbox_action = [this, guarded](const char* pattern, std::function<Status(int64_t)> AdminHandlers::*fn) {
    return std::make_pair(pattern, guarded([this, fn](const httplib::Request& req, httplib::Response& res) {
      if (!(handlers_.*fn)) return SendStatus(res, Status::Unavailable("outbox delivery is not running"));
      Status st = (handlers_.*fn)(std::stoll(req.matches[1].str()));
      if (!st.ok()) return SendStatus(res, st);
      res.set_content("{\"status\":\"ok\"}", "application/json");
    }));
  };
  auto [retry_path, retry_fn] = outbox_action(R"(/api/outbox/(\d+)/retry)", &AdminHandlers::outbox_retry);
  s.Post(retry_path, retry_fn);
  auto [drop_path, drop_fn] = outbox_action(R"(/api/outbox/(\d+)/drop)", &AdminHandlers::outbox_drop);
  s.Post(drop_path, drop_fn);

  s.Get("/api/faq-drafts", guarded([this](const httplib::Request& req, httplib::Response& res) {
    if (!handlers_.faq_list) return SendStatus(res, Status::Unavailable("FAQ drafting is not configured"));
    res.set_content(handlers_.faq_list(req.get_param_value("state")), "application/json");
  }));
  auto faq_action = [this](const std::string& action) {
    return [this, action](const httplib::Request& req, httplib::Response& res) {
      if (!handlers_.faq_act) return SendStatus(res, Status::Unavailable("FAQ drafting is not configured"));
      Status st = handlers_.faq_act(std::stoll(req.matches[1].str()), action, req.body);
      if (!st.ok()) return SendStatus(res, st);
      res.set_content("{\"status\":\"ok\"}", "application/json");
    };
  };
  s.Post(R"(/api/faq-drafts/(\d+)/approve)", guarded(faq_action("approve")));
  s.Post(R"(/api/faq-drafts/(\d+)/reject)", guarded(faq_action("reject")));
  s.Put(R"(/api/faq-drafts/(\d+))", guarded(faq_action("edit")));

  s.Post("/api/override", guarded([this](const httplib::Request& req, httplib::Response& res) {
    if (!handlers_.override_ticket) return SendStatus(res, Status::Unavailable("overrides are not available"));
    Result<int64_t> id = handlers_.override_ticket(req.body);
    if (!id.ok()) return SendStatus(res, id.status());
    res.set_content("{\"status\":\"queued\",\"event_id\":" + std::to_string(*id) + "}", "application/json");
  }));
}

}  // namespace deskhook
