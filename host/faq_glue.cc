#include "host/faq_glue.h"

#include <boost/json.hpp>

#include "host/event_processor.h"
#include "host/log.h"

namespace deskhook {
namespace json = boost::json;
namespace {

double Number(const json::object& o, const char* key, double fallback, double min, double max) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return fallback;
  if (!v->is_number()) throw std::invalid_argument(std::string("faq.") + key + ": must be a number");
  double d = v->to_number<double>();
  if (d < min || d > max) throw std::invalid_argument(std::string("faq.") + key + ": out of range");
  return d;
}

const char* StateName(faq::DraftState s) {
  switch (s) {
    case faq::DraftState::kPending: return "pending";
    case faq::DraftState::kApproved: return "approved";
    case faq::DraftState::kRejected: return "rejected";
    case faq::DraftState::kCreated: return "created";
    case faq::DraftState::kExpired: return "expired";
  }
  return "pending";
}

}  // namespace

bool FaqEnabled(const json::object& o) {
  const json::value* v = o.if_contains("enabled");
  return v != nullptr && v->is_bool() && v->as_bool();
}

Result<faq::FaqConfig> ParseFaqConfig(const json::object& o, const std::string& base_dir) {
  faq::FaqConfig c;
  try {
    c.index.window_ms = static_cast<int64_t>(Number(o, "window_days", 30, 1, 3650) * 86400000.0);
    c.index.threshold = Number(o, "threshold", c.index.threshold, 0.05, 1.0);
    c.draft_min_group = static_cast<int>(Number(o, "draft_min_group", c.draft_min_group, 2, 1e6));
    c.pending_expiry_ms = static_cast<int64_t>(Number(o, "pending_expiry_hours", 168, 1, 24 * 3650) * 3600000.0);
    if (const json::value* v = o.if_contains("hold_for_approval")) {
      if (!v->is_bool()) return Status::InvalidArgument("faq.hold_for_approval: must be true or false");
      c.hold_for_approval = v->as_bool();
    }
    if (const json::value* v = o.if_contains("synonyms")) {
      if (!v->is_string()) return Status::InvalidArgument("faq.synonyms: must be a path");
      std::string p(v->as_string());
      c.synonyms_path = (p.empty() || p[0] == '/' || base_dir.empty()) ? p : base_dir + "/" + p;
    }
  } catch (const std::invalid_argument& e) {
    return Status::InvalidArgument(e.what());
  }
  return c;
}

Result<std::unique_ptr<FaqGlue>> FaqGlue::Create(const faq::FaqConfig& config, Store* store,
                                                 std::map<std::string, const Connector*> connectors,
                                                 std::function<void()> wake_outbox) {
  faq::SqlAccess access;
  access.write = [store](faq::SqlFn fn) { return store->Write(std::move(fn)); };
  access.read = [store](const faq::SqlFn& fn) { return store->Read(fn); };
  auto service = faq::FaqService::Open(config, faq::NewSqliteFaqRepository(access), 0);
  if (!service.ok()) return service.status();
  std::unique_ptr<FaqGlue> g(new FaqGlue());
  g->service_ = std::move(service.value());
  g->store_ = store;
  g->connectors_ = std::move(connectors);
  g->wake_outbox_ = std::move(wake_outbox);
  return g;
}

scripts::SimilarInfo FaqGlue::OnQuestion(const Ticket& ticket, const std::string& question, int64_t now_ms) {
  scripts::SimilarInfo info;
  auto outcome = service_->OnQuestion(ticket.instance, ticket.id, question, now_ms);
  if (!outcome.ok()) {
    log::Warn("faq: question not indexed", {{"error", std::string_view(outcome.status().ToString())}});
    return info;
  }
  info.count = outcome->similar.count;
  info.group_id = outcome->similar.group_id == 0 ? "" : std::to_string(outcome->similar.group_id);
  info.examples = outcome->similar.examples;
  if (outcome->draft && outcome->draft->state == faq::DraftState::kApproved) CreateApproved(now_ms);
  return info;
}

void FaqGlue::OnAgentReply(const Ticket& ticket, const std::string& answer, int64_t now_ms) {
  Status s = service_->RecordAnswer(ticket.instance, ticket.id, answer, now_ms);
  if (!s.ok() && s.code() != Code::kNotFound) log::Warn("faq: answer not recorded", {{"error", std::string_view(s.ToString())}});
}

void FaqGlue::OnScriptDrafts(const Ticket& ticket, const std::vector<FaqDraft>& drafts, int64_t now_ms) {
  bool any_approved = false;
  for (const auto& d : drafts) {
    auto r = service_->RecordDraft(ticket.instance, d, 0, 0, "script", now_ms);
    if (!r.ok()) {
      log::Warn("faq: script draft refused", {{"error", std::string_view(r.status().ToString())}});
      continue;
    }
    any_approved = any_approved || r->state == faq::DraftState::kApproved;
  }
  if (any_approved) CreateApproved(now_ms);
}

std::string FaqGlue::ListJson(const std::string& state) {
  auto drafts = service_->ListDrafts(state.empty() ? std::nullopt : faq::ParseDraftState(state));
  json::array out;
  if (drafts.ok()) {
    for (const auto& d : *drafts) {
      out.push_back(json::object{{"id", d.id}, {"instance", d.instance}, {"group_id", d.group_id},
                                 {"state", StateName(d.state)}, {"source", d.source}, {"group_size", d.group_size},
                                 {"title", d.draft.title}, {"body_html", d.draft.body_html},
                                 {"created_ms", d.created_ms}, {"updated_ms", d.updated_ms}});
    }
  }
  return json::serialize(out);
}

Status FaqGlue::Act(int64_t id, const std::string& action, const std::string& body, int64_t now_ms) {
  faq::DraftEdits edits;
  if (!body.empty()) {
    json::error_code ec;
    json::value v = json::parse(body, ec);
    if (ec || !v.is_object()) return Status::InvalidArgument("body must be a JSON object {\"title\", \"body_html\"}");
    if (auto* t = v.as_object().if_contains("title"); t && t->is_string()) edits.title = std::string(t->as_string());
    if (auto* b = v.as_object().if_contains("body_html"); b && b->is_string()) edits.body_html = std::string(b->as_string());
  }
  Status st;
  if (action == "approve") st = service_->Approve(id, edits, now_ms).status();
  else if (action == "reject") st = service_->Reject(id, now_ms).status();
  else if (action == "edit") st = service_->Edit(id, edits, now_ms).status();
  else return Status::InvalidArgument("unknown action " + action);
  if (st.ok() && action == "approve") CreateApproved(now_ms);
  return st;
}

void FaqGlue::Maintain(int64_t now_ms) {
  service_->ExpirePending(now_ms);
  CreateApproved(now_ms);
}

void FaqGlue::CreateApproved(int64_t now_ms) {
  auto drafts = service_->DraftsToCreate();
  if (!drafts.ok()) return;
  bool queued = false;
  for (const auto& d : *drafts) {
    auto it = connectors_.find(d.instance);
    if (it == connectors_.end()) continue;
    Ticket none;
    none.instance = d.instance;
    DecisionSet decisions;
    decisions.drafts.push_back(d.draft);
    std::string key = "faq-draft-" + std::to_string(d.id);
    ProcessedEvent p;
    p.processed_ms = now_ms;
    p.calls = it->second->BuildCalls(none, decisions, key);
    p.log.push_back(LogEntry{0, "faq_draft",
                             json::serialize(json::object{{"draft_id", d.id}, {"title", d.draft.title},
                                                          {"group_id", d.group_id}, {"source", d.source},
                                                          {"calls", static_cast<int64_t>(p.calls.size())}}),
                             now_ms});
    NewEvent e;
    e.instance = d.instance;
    e.kind = "faq_draft";
    e.dedupe_key = key;
    e.received_ms = now_ms;
    e.body = "{}";
    e.meta_json = "{}";
    // The call is stored first, then the draft marked created: a crash in between leaves it
    // approved, and the next hand-off finds its key taken (AlreadyExists) and only marks it.
    auto id = store_->RecordInternalEvent(e, std::move(p));
    if (!id.ok() && id.status().code() != Code::kAlreadyExists) {
      log::Error("faq: draft not queued; retried at the next maintenance",
                 {{"draft_id", d.id}, {"error", std::string_view(id.status().ToString())}});
      continue;
    }
    queued = queued || id.ok();
    if (Status s = service_->MarkCreated(d.id, now_ms); !s.ok()) {
      log::Warn("faq: draft queued but not marked created", {{"draft_id", d.id}, {"error", std::string_view(s.ToString())}});
    }
  }
  if (queued && wake_outbox_) wake_outbox_();
}

}  // namespace deskhook
