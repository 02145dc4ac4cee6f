#include "host/event_processor.h"

#include <cstdlib>
#include <map>
#include <optional>
#include <utility>

#include <boost/json.hpp>

#include "host/log.h"

namespace deskhook {
namespace json = boost::json;
namespace {

}  // namespace

// ctx.kv backed by the store, so counters survive restarts. Writes are not sent to the store
// at once: they are collected and committed with the event that made them (TakeWrites into
// ProcessedEvent::kv), so a crash before that commit loses them together with the event's
// state, and reprocessing the event counts once. Until the commit, this worker's own reads
// see its pending writes (the next event of the batch sees the previous one's increment).
class BufferedStoreKv : public scripts::KvStore {
 public:
  explicit BufferedStoreKv(Store* store) : store_(store) {}

  std::optional<std::string> Get(const std::string& script, const std::string& key, int64_t now_ms) override {
    if (auto it = pending_.find({script, key}); it != pending_.end()) {
      if (it->second.expires_ms != 0 && it->second.expires_ms <= now_ms) return std::nullopt;
      return it->second.value;
    }
    auto r = store_->KvGet(script, key, now_ms);
    return r.ok() ? *r : std::nullopt;
  }
  void Set(const std::string& script, const std::string& key, const std::string& value, int64_t ttl_s,
           int64_t now_ms) override {
    const int64_t expires = ttl_s > 0 ? now_ms + ttl_s * 1000 : 0;
    pending_[{script, key}] = Value{value, expires};
    writes_.push_back(KvWrite{script, key, false, value, 0, expires});
  }
  int64_t Incr(const std::string& script, const std::string& key, int64_t by, int64_t ttl_s,
               int64_t now_ms) override {
    const int64_t expires_if_new = ttl_s > 0 ? now_ms + ttl_s * 1000 : 0;
    const std::optional<std::string> value = Get(script, key, now_ms);
    const int64_t current = value ? std::strtoll(value->c_str(), nullptr, 10) : 0;
    int64_t expires = expires_if_new;
    if (value) {
      // A pending copy keeps its expiry; a stored key keeps its own in the store, and this copy
      // only serves reads until the commit.
      auto it = pending_.find({script, key});
      expires = it != pending_.end() ? it->second.expires_ms : 0;
    }
    const int64_t result = current + by;
    pending_[{script, key}] = Value{std::to_string(result), expires};
    writes_.push_back(KvWrite{script, key, true, "", by, expires_if_new});
    return result;
  }

  // The writes since the last call, for the event just processed.
  std::vector<KvWrite> TakeWrites() { return std::exchange(writes_, {}); }
  // After the batch committed (or failed): reads go to the store again.
  void Forget() {
    pending_.clear();
    writes_.clear();
  }

 private:
  struct Value {
    std::string value;
    int64_t expires_ms = 0;
  };
  Store* store_;
  std::map<std::pair<std::string, std::string>, Value> pending_;
  std::vector<KvWrite> writes_;
};

namespace {

std::string Serialize(const json::value& v) { return json::serialize(v); }

json::array Strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

// The delivery id ingest recorded in the event's meta_json ("" when none).
std::string RecordedDeliveryId(const std::string& meta_json) {
  if (meta_json.empty()) return {};
  json::error_code ec;
  json::value v = json::parse(meta_json, ec);
  if (ec || !v.is_object()) return {};
  const json::value* id = v.as_object().if_contains("delivery_id");
  return id != nullptr && id->is_string() ? std::string(id->as_string()) : std::string();
}

LogEntry Entry(int64_t event_id, std::string stage, std::string record, int64_t now_ms) {
  return LogEntry{event_id, std::move(stage), std::move(record), now_ms};
}

// "escalated because: 'unacceptable', 'third time'" — the strongest terms that pushed negative
// or fired a support signal, for notes and the decision log.
json::array Reasons(const sentiment::MessageScore& s, const sentiment::ConversationTrend& t) {
  json::array out;
  for (const auto& term : s.terms) {
    if (out.size() >= 6) break;
    if (term.signal != "valence" || term.weight < 0) out.emplace_back(term.signal + ": '" + term.text + "'");
  }
  if (t.escalating) out.emplace_back("trend: sentiment falling across messages");
  return out;
}

}  // namespace

json::value TicketSummaryValue(const Ticket& t) {
  json::object o{{"instance", t.instance}, {"platform", t.platform}, {"id", t.id}, {"subject", t.subject},
                 {"requester", {{"id", t.requester.id}, {"name", t.requester.name}, {"email", t.requester.email}}},
                 {"assignee", t.assignee.id}, {"group", t.group_id}, {"tags", Strings(t.tags)},
                 {"priority", t.priority}, {"status", t.status}, {"channel", t.channel}};
  json::array msgs;
  for (const auto& m : t.messages) {
    msgs.push_back(json::object{{"role", AuthorRoleName(m.role)}, {"author_id", m.author_id},
                                {"public", m.is_public}, {"body", m.body.substr(0, 2000)}});
  }
  o["messages"] = std::move(msgs);
  return o;
}

json::value DecisionSetValue(const DecisionSet& d) {
  json::object o;
  if (d.group_id) o["group"] = *d.group_id;
  if (d.assignee_id) o["agent"] = *d.assignee_id;
  if (!d.add_tags.empty()) o["add_tags"] = Strings(d.add_tags);
  if (!d.remove_tags.empty()) o["remove_tags"] = Strings(d.remove_tags);
  if (!d.notes.empty()) o["notes"] = Strings(d.notes);
  if (d.priority) o["priority"] = *d.priority;
  if (!d.drafts.empty()) {
    json::array a;
    for (const auto& f : d.drafts) a.push_back(json::object{{"title", f.title}, {"group", f.group_key}});
    o["drafts"] = std::move(a);
  }
  return o;
}

json::value MessageScoreValue(const sentiment::MessageScore& s) {
  json::array terms;
  for (const auto& t : s.terms) {
    terms.push_back(json::object{{"text", t.text}, {"weight", t.weight}, {"signal", t.signal}});
  }
  return json::object{{"compound", s.compound}, {"pos", s.pos}, {"neg", s.neg}, {"neu", s.neu},
                                {"frustration", s.frustration}, {"churn_risk", s.churn_risk},
                                {"wants_human", s.wants_human}, {"urgency", s.urgency},
                                {"terms", std::move(terms)}};
}

json::value TrendValue(const sentiment::ConversationTrend& t) {
  return json::object{{"messages", t.messages}, {"last", t.last}, {"ewma", t.ewma},
                      {"slope", t.slope}, {"min", t.min}, {"escalating", t.escalating}};
}

json::value ApiCallValue(const ApiCall& c) {
  return json::value(json::object{{"kind", c.kind}, {"method", c.method}, {"path", c.path},
                                {"body", c.body}, {"idempotency_key", c.idempotency_key}});
}

std::string TicketSummaryJson(const Ticket& t) { return Serialize(TicketSummaryValue(t)); }
std::string DecisionSetJson(const DecisionSet& d) { return Serialize(DecisionSetValue(d)); }
std::string MessageScoreJson(const sentiment::MessageScore& s) { return Serialize(MessageScoreValue(s)); }
std::string TrendJson(const sentiment::ConversationTrend& t) { return Serialize(TrendValue(t)); }
std::string ApiCallJson(const ApiCall& c) { return Serialize(ApiCallValue(c)); }

Result<std::unique_ptr<EventProcessor>> EventProcessor::Create(const scripts::RuntimeConfig& scripts,
                                                               Store* store, const sentiment::Scorer* scorer,
                                                               const ProcessorHooks* hooks) {
  std::unique_ptr<EventProcessor> p(new EventProcessor());
  p->store_ = store;
  p->scorer_ = scorer;
  p->hooks_ = hooks;
  if (store != nullptr) {
    auto kv = std::make_unique<BufferedStoreKv>(store);
    p->store_kv_ = kv.get();
    p->kv_ = std::move(kv);
  } else {
    p->kv_ = scripts::NewMemoryKvStore();
  }
  auto rt = scripts::Runtime::Create(scripts, p->kv_.get());
  if (!rt.ok()) return rt.status();
  p->runtime_ = std::move(rt.value());
  return p;
}

EventProcessor::~EventProcessor() = default;

void EventProcessor::AfterCommit() {
  if (store_kv_ != nullptr) store_kv_->Forget();
}

Status EventProcessor::ReplaceScripts(const scripts::RuntimeConfig& config) {
  auto rt = scripts::Runtime::Create(config, kv_.get());
  if (!rt.ok()) return rt.status();
  runtime_ = std::move(rt.value());
  return Status::Ok();
}

ProcessedEvent EventProcessor::Process(const StoredEvent& stored, const Connector* connector, int64_t now_ms,
                                       InboundEvent* normalised) {
  ProcessedEvent out;
  out.event_id = stored.id;
  out.processed_ms = now_ms;
  auto log = [&](std::string stage, std::string record) {
    out.log.push_back(Entry(stored.id, std::move(stage), std::move(record), now_ms));
  };
  if (connector == nullptr) {
    out.state = EventState::kFailed;
    log("ingest", Serialize(json::object{{"error", "connector instance '" + stored.instance + "' is no longer configured"}}));
    return out;
  }
  std::optional<InboundEvent> parsed_here;
  if (normalised == nullptr) {
    Result<InboundEvent> parsed = connector->Parse(HeaderMap{}, stored.body);
    if (!parsed.ok()) {
      out.state = EventState::kFailed;
      log("ingest", Serialize(json::object{{"error", parsed.status().message()}}));
      return out;
    }
    parsed_here = std::move(parsed.value());
    // The request headers are not stored; the delivery id taken from them at ingest is.
    if (std::string id = RecordedDeliveryId(stored.meta_json); !id.empty()) parsed_here->delivery_id = std::move(id);
  }
  InboundEvent& event = normalised != nullptr ? *normalised : *parsed_here;
  Ticket& ticket = event.ticket;
  ticket.instance = stored.instance;
  log("ingest", Serialize(json::object{{"kind", EventKindName(event.kind)}, {"topic", event.topic},
                                       {"delivery_id", event.delivery_id}, {"received_ms", stored.received_ms},
                                       {"ticket", TicketSummaryValue(ticket)}}));
  if (event.kind == EventKind::kPing) {
    out.state = EventState::kSkipped;
    log("decision", R"({"skipped":"ping: nothing to decide"})");
    return out;
  }
  if (connector->IsOwnChange(event)) {
    out.state = EventState::kSkipped;
    log("decision", Serialize(json::object{{"skipped", "loop guard: this change was made by deskhook itself"},
                                           {"actor_id", event.actor_id}}));
    return out;
  }

  // Sentiment: every customer message this delivery carries, then the trend with history.
  scripts::EventContext ctx;
  ctx.kind = event.kind;
  ctx.ticket = &ticket;
  ctx.now_ms = now_ms;
  std::vector<double> history;
  if (store_ != nullptr) {
    if (auto h = store_->SentimentHistory(stored.instance, ticket.id); h.ok()) history = *h;
  }
  std::vector<double> fresh;
  json::array scored;
  std::string first_question;
  // A reply delivery may repeat earlier messages (Intercom sends the conversation's source with
  // every part): only the newest customer message is new then.
  size_t first_new = 0;
  if (event.kind == EventKind::kCustomerReplied) {
    for (size_t i = 0; i < ticket.messages.size(); ++i) {
      if (ticket.messages[i].role == AuthorRole::kCustomer) first_new = i;
    }
  }
  for (size_t i = first_new; i < ticket.messages.size(); ++i) {
    const Message& m = ticket.messages[i];
    if (m.role != AuthorRole::kCustomer) continue;
    std::string clean = sentiment::CleanMessage(m.body);
    if (first_question.empty()) first_question = clean;
    ctx.text = clean;
    ctx.sentiment = scorer_->Score(clean);
    fresh.push_back(ctx.sentiment.compound);
    scored.push_back(MessageScoreValue(ctx.sentiment));
  }
  history.insert(history.end(), fresh.begin(), fresh.end());
  ctx.trend = sentiment::Trend(history);
  out.instance = stored.instance;
  out.ticket_id = ticket.id;
  out.sentiment = fresh;  // committed with the event, so a retry never doubles the history
  const json::array reasons = Reasons(ctx.sentiment, ctx.trend);  // in both log entries
  log("sentiment", Serialize(json::object{{"messages", std::move(scored)},
                                          {"trend", TrendValue(ctx.trend)},
                                          {"reasons", reasons}}));

  // Repeated questions and answers.
  if (event.kind == EventKind::kTicketCreated && !first_question.empty() && hooks_ && hooks_->on_question) {
    ctx.similar = hooks_->on_question(ticket, first_question, now_ms);
    log("similar", Serialize(json::object{{"count", ctx.similar.count}, {"group", ctx.similar.group_id},
                                          {"examples", Strings(ctx.similar.examples)}}));
  }
  if (event.kind == EventKind::kAgentReplied && hooks_ && hooks_->on_agent_reply) {
    for (const auto& m : ticket.messages) {
      if (m.role == AuthorRole::kAgent && m.is_public) hooks_->on_agent_reply(ticket, m.body);
    }
  }

  scripts::RunResult run = runtime_->Run(ctx);
  for (const auto& r : run.records) {
    json::array logs;
    for (const auto& l : r.logs) logs.emplace_back(l);
    json::error_code ec;
    json::value decided = r.decisions_json.empty() ? json::value(json::array()) : json::parse(r.decisions_json, ec);
    if (ec) decided = json::value(r.decisions_json);
    json::error_code iec;
    json::value inputs = r.inputs_json.empty() ? json::value(json::object()) : json::parse(r.inputs_json, iec);
    if (iec) inputs = json::value(r.inputs_json);
    log("script", Serialize(json::object{{"script", r.script}, {"version", r.version}, {"handler", r.handler},
                                         {"inputs", std::move(inputs)},
                                         {"outcome", r.outcome}, {"reason", r.reason}, {"decided", decided},
                                         {"logs", std::move(logs)}, {"instructions", r.instructions},
                                         {"micros", r.micros}}));
  }
  if (!run.reload_error.empty()) log("script_reload", Serialize(json::object{{"error", run.reload_error}}));
  DecisionSet decisions = std::move(run.decisions);
  json::array proposed;
  for (const auto& d : decisions.drafts) proposed.emplace_back(d.title);
  if (!decisions.drafts.empty() && hooks_ && hooks_->on_script_drafts) {
    // Script drafts go through the FAQ module (approval hold, one creation path), which queues
    // them for the outbox once approved; they are not sent with this event's calls.
    hooks_->on_script_drafts(ticket, decisions.drafts);
    decisions.drafts.clear();
  }

  out.calls = connector->BuildCalls(ticket, decisions, stored.instance + ":" + std::to_string(stored.id));
  json::array calls;
  for (const auto& c : out.calls) calls.push_back(ApiCallValue(c));
  log("decision", Serialize(json::object{{"decisions", DecisionSetValue(decisions)},
                                         {"fallback_applied", run.fallback_applied},
                                         {"faq_drafts_proposed", std::move(proposed)},
                                         {"reasons", reasons},
                                         {"calls", std::move(calls)}}));
  out.state = EventState::kDone;
  if (store_kv_ != nullptr) out.kv = store_kv_->TakeWrites();
  return out;
}

}  // namespace deskhook
