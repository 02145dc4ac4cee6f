#include "host/event_processor.h"

#include <cstdlib>
#include <map>
#include <optional>
#include <utility>

#include <boost/json.hpp>

#include "host/decision_json.h"
#include "host/log.h"
#include "scripts/json_writer.h"

namespace deskhook {
namespace json = boost::json;
namespace jw = scripts::jsonw;
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
std::vector<std::string> Reasons(const sentiment::MessageScore& s, const sentiment::ConversationTrend& t) {
  std::vector<std::string> out;
  for (const auto& term : s.terms) {
    if (out.size() >= 6) break;
    if (term.signal != "valence" || term.weight < 0) out.push_back(term.signal + ": '" + term.text + "'");
  }
  if (t.escalating) out.emplace_back("trend: sentiment falling across messages");
  return out;
}

}  // namespace

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
                                       InboundEvent* normalised, const std::vector<double>* prefetched) {
  ProcessedEvent out;
  out.event_id = stored.id;
  out.processed_ms = now_ms;
  auto log = [&](std::string stage, std::string record) {
    out.log.push_back(Entry(stored.id, std::move(stage), std::move(record), now_ms));
  };
  if (connector == nullptr) {
    out.state = EventState::kFailed;
    log("ingest", ErrorRecord("connector instance '" + stored.instance + "' is no longer configured"));
    return out;
  }
  std::optional<InboundEvent> parsed_here;
  if (normalised == nullptr) {
    Result<InboundEvent> parsed = connector->Parse(HeaderMap{}, stored.body);
    if (!parsed.ok()) {
      out.state = EventState::kFailed;
      log("ingest", ErrorRecord(parsed.status().message()));
      return out;
    }
    parsed_here = std::move(parsed.value());
    // The request headers are not stored; the delivery id taken from them at ingest is.
    if (std::string id = RecordedDeliveryId(stored.meta_json); !id.empty()) parsed_here->delivery_id = std::move(id);
  }
  InboundEvent& event = normalised != nullptr ? *normalised : *parsed_here;
  Ticket& ticket = event.ticket;
  ticket.instance = stored.instance;
  {
    std::string r = "{\"kind\":";
    jw::Str(&r, EventKindName(event.kind));
    r.append(",\"topic\":");
    jw::Str(&r, event.topic);
    r.append(",\"delivery_id\":");
    jw::Str(&r, event.delivery_id);
    r.append(",\"received_ms\":");
    jw::Int(&r, stored.received_ms);
    r.append(",\"ticket\":");
    AppendTicketSummary(&r, ticket);
    r.push_back('}');
    log("ingest", std::move(r));
  }
  if (event.kind == EventKind::kPing) {
    out.state = EventState::kSkipped;
    log("decision", R"({"skipped":"ping: nothing to decide"})");
    return out;
  }
  if (connector->IsOwnChange(event)) {
    out.state = EventState::kSkipped;
    std::string r = R"({"skipped":"loop guard: this change was made by deskhook itself","actor_id":)";
    jw::Str(&r, event.actor_id);
    r.push_back('}');
    log("decision", std::move(r));
    return out;
  }

  // Sentiment: every customer message this delivery carries, then the trend with history.
  scripts::EventContext ctx;
  ctx.kind = event.kind;
  ctx.ticket = &ticket;
  ctx.now_ms = now_ms;
  std::vector<double> history;
  if (prefetched != nullptr && ticket.id == stored.ticket_id) {
    history = *prefetched;
  } else if (store_ != nullptr) {
    if (auto h = store_->SentimentHistory(stored.instance, ticket.id); h.ok()) history = *h;
  }
  std::vector<double> fresh;
  std::string scored = "[";
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
    if (scored.size() > 1) scored.push_back(',');
    AppendMessageScore(&scored, ctx.sentiment);
  }
  history.insert(history.end(), fresh.begin(), fresh.end());
  ctx.trend = sentiment::Trend(history);
  out.sentiment = fresh;  // committed with the event, so a retry never doubles the history
  std::string reasons;  // in both log entries
  jw::Strings(&reasons, Reasons(ctx.sentiment, ctx.trend));
  {
    std::string r = "{\"messages\":";
    r.append(scored);
    r.append("],\"trend\":");
    AppendTrend(&r, ctx.trend);
    r.append(",\"reasons\":");
    r.append(reasons);
    r.push_back('}');
    log("sentiment", std::move(r));
  }

  // Repeated questions and answers.
  if (event.kind == EventKind::kTicketCreated && !first_question.empty() && hooks_ && hooks_->on_question) {
    ctx.similar = hooks_->on_question(ticket, first_question, now_ms);
    std::string r = "{\"count\":";
    jw::Int(&r, ctx.similar.count);
    r.append(",\"group\":");
    jw::Str(&r, ctx.similar.group_id);
    r.append(",\"examples\":");
    jw::Strings(&r, ctx.similar.examples);
    r.push_back('}');
    log("similar", std::move(r));
  }
  if (event.kind == EventKind::kAgentReplied && hooks_ && hooks_->on_agent_reply) {
    for (const auto& m : ticket.messages) {
      if (m.role == AuthorRole::kAgent && m.is_public) hooks_->on_agent_reply(ticket, m.body);
    }
  }

  scripts::RunResult run = runtime_->Run(ctx);
  for (const auto& r : run.records) {
    std::string o = "{\"script\":";
    o.reserve(96 + r.inputs_json.size() + r.decisions_json.size());
    jw::Str(&o, r.script);
    o.append(",\"version\":");
    jw::Str(&o, r.version);
    o.append(",\"handler\":");
    jw::Str(&o, r.handler);
    o.append(",\"inputs\":");
    AppendScriptJson(&o, r.inputs_json, "{}", '{', '}');
    o.append(",\"outcome\":");
    jw::Str(&o, r.outcome);
    o.append(",\"reason\":");
    jw::Str(&o, r.reason);
    o.append(",\"decided\":");
    AppendScriptJson(&o, r.decisions_json, "[]", '[', ']');
    o.append(",\"logs\":");
    jw::Strings(&o, r.logs);
    o.append(",\"instructions\":");
    jw::Int(&o, r.instructions);
    o.append(",\"micros\":");
    jw::Int(&o, r.micros);
    o.push_back('}');
    log("script", std::move(o));
  }
  if (!run.reload_error.empty()) log("script_reload", ErrorRecord(run.reload_error));
  DecisionSet decisions = std::move(run.decisions);
  std::vector<std::string> proposed;
  for (const auto& d : decisions.drafts) proposed.push_back(d.title);
  if (!decisions.drafts.empty() && hooks_ && hooks_->on_script_drafts) {
    // Script drafts go through the FAQ module (approval hold, one creation path), which queues
    // them for the outbox once approved; they are not sent with this event's calls.
    hooks_->on_script_drafts(ticket, decisions.drafts);
    decisions.drafts.clear();
  }

  out.calls = connector->BuildCalls(ticket, decisions, stored.instance + ":" + std::to_string(stored.id));
  {
    std::string r = "{\"decisions\":";
    AppendDecisionSet(&r, decisions);
    r.append(",\"fallback_applied\":");
    jw::Bool(&r, run.fallback_applied);
    r.append(",\"faq_drafts_proposed\":");
    jw::Strings(&r, proposed);
    r.append(",\"reasons\":");
    r.append(reasons);
    r.append(",\"calls\":[");
    for (size_t i = 0; i < out.calls.size(); ++i) {
      if (i > 0) r.push_back(',');
      AppendApiCall(&r, out.calls[i]);
    }
    r.append("]}");
    log("decision", std::move(r));
  }
  out.state = EventState::kDone;
  if (store_kv_ != nullptr) out.kv = store_kv_->TakeWrites();
  return out;
}

}  // namespace deskhook
