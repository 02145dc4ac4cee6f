#include "host/faq/faq_service.h"

#include <algorithm>

#include "host/faq/faq_draft.h"
#include "host/faq/question_text.h"

namespace deskhook::faq {

FaqService::FaqService(FaqConfig config, std::unique_ptr<FaqRepository> repository)
    : config_(std::move(config)), repo_(std::move(repository)) {}

Result<std::unique_ptr<FaqService>> FaqService::Open(FaqConfig config,
                                                     std::unique_ptr<FaqRepository> repository,
                                                     int64_t now_ms) {
  if (config.draft_min_group < 2 || config.regrow_factor < 1 || config.max_variants < 1 ||
      config.index.window_ms <= 0 || config.index.threshold <= 0 || config.index.threshold > 1) {
    return Status::InvalidArgument(
        "faq config: need draft_min_group >= 2, regrow_factor >= 1, max_variants >= 1, "
        "window > 0, 0 < threshold <= 1");
  }
  auto analyzer = std::make_shared<Analyzer>(config.index.analyzer);
  if (!config.synonyms_path.empty()) {
    if (Status s = analyzer->LoadSynonyms(config.synonyms_path); !s.ok()) return s;
  }
  if (Status s = repository->Init(); !s.ok()) return s;
  std::unique_ptr<FaqService> svc(new FaqService(std::move(config), std::move(repository)));
  svc->analyzer_ = std::move(analyzer);
  auto logged = svc->repo_->LoadQuestions(now_ms - svc->config_.index.window_ms);
  if (!logged.ok()) return logged.status();
  std::lock_guard<std::mutex> lock(svc->mu_);
  for (const StoredQuestion& q : *logged) {
    svc->IndexFor(q.instance).Restore(q.ticket_id, q.text, q.time_ms, q.group_id);
  }
  for (auto& [instance, index] : svc->indexes_) {
    auto max_id = svc->repo_->MaxGroupId(instance);
    if (!max_id.ok()) return max_id.status();
    index->ReserveGroupIds(*max_id);
  }
  return svc;
}

QuestionIndex& FaqService::IndexFor(const std::string& instance) {
  auto it = indexes_.find(instance);
  if (it == indexes_.end()) {
    it = indexes_.emplace(instance, std::make_unique<QuestionIndex>(config_.index, analyzer_)).first;
  }
  return *it->second;
}

Result<QuestionOutcome> FaqService::OnQuestion(const std::string& instance,
                                               const std::string& ticket_id,
                                               const std::string& first_message, int64_t time_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  QuestionOutcome out;
  auto has = repo_->HasQuestion(instance, ticket_id);
  if (!has.ok()) return has.status();
  bool fresh_index = indexes_.find(instance) == indexes_.end();
  QuestionIndex& index = IndexFor(instance);
  if (fresh_index) {  // an instance seen for the first time since start: never reuse its ids
    auto max_id = repo_->MaxGroupId(instance);
    if (!max_id.ok()) return max_id.status();
    index.ReserveGroupIds(*max_id);
  }
  if (*has) {
    out.duplicate = true;
    auto rows = repo_->GetQuestions(instance, {ticket_id});
    if (!rows.ok()) return rows.status();
    if (!rows->empty() && rows->front().group_id != 0) {
      out.similar.group_id = index.Resolve(rows->front().group_id);
      out.similar.count = std::max(0, index.GroupSize(out.similar.group_id) - 1);
    }
    return out;
  }
  QuestionChanges changes;
  changes.question.instance = instance;
  changes.question.ticket_id = ticket_id;
  changes.question.text = CleanQuestion(first_message);
  changes.question.time_ms = time_ms;
  out.similar = index.Add(ticket_id, changes.question.text, time_ms);
  changes.question.group_id = out.similar.group_id;
  changes.new_group = out.similar.new_group;
  changes.merges = out.similar.merges;
  if (Status s = repo_->AppendQuestion(changes); !s.ok()) return s;
  if (out.similar.group_id != 0) {
    auto draft = MaybeDraft(instance, out.similar.group_id, time_ms);
    if (!draft.ok()) return draft.status();
    out.draft = std::move(*draft);
  }
  return out;
}

Result<std::optional<StoredDraft>> FaqService::MaybeDraft(const std::string& instance,
                                                          uint64_t group_id, int64_t now_ms) {
  QuestionIndex& index = IndexFor(instance);
  int size = index.GroupSize(group_id);
  if (size < config_.draft_min_group) return std::optional<StoredDraft>();
  auto latest = repo_->LatestGroupDraft(instance, group_id);
  if (!latest.ok()) return latest.status();
  if (*latest) {
    const StoredDraft& d = **latest;
    bool closed = d.state == DraftState::kRejected || d.state == DraftState::kExpired;
    if (!closed || size < config_.regrow_factor * d.group_size) return std::optional<StoredDraft>();
  }
  auto draft = ComposeFor(instance, group_id);
  if (!draft.ok()) return draft.status();
  auto stored = RecordDraftLocked(instance, *draft, group_id, size, "group", now_ms);
  if (!stored.ok()) return stored.status();
  return std::optional<StoredDraft>(std::move(*stored));
}

Result<FaqDraft> FaqService::ComposeFor(const std::string& instance, uint64_t group_id) {
  QuestionIndex& index = IndexFor(instance);
  std::vector<std::string> ids = index.CentralMembers(group_id, 50);
  auto rows = repo_->GetQuestions(instance, ids);
  if (!rows.ok()) return rows.status();
  std::vector<std::string> variants, answers;
  for (const StoredQuestion& q : *rows) {  // GetQuestions keeps the centrality order
    if (static_cast<int>(variants.size()) < config_.max_variants && !q.text.empty()) {
      variants.push_back(q.text);
    }
    if (!q.answer.empty()) answers.push_back(q.answer);
  }
  if (variants.empty()) return Status::Internal("faq group has no logged questions");
  return ComposeGroupDraft(variants, answers, index.GroupSize(group_id),
                           instance + ":" + std::to_string(index.Resolve(group_id)));
}

Result<StoredDraft> FaqService::RecordDraft(const std::string& instance, const FaqDraft& draft,
                                            uint64_t group_id, int group_size,
                                            const std::string& source, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  return RecordDraftLocked(instance, draft, group_id, group_size, source, now_ms);
}

Result<StoredDraft> FaqService::RecordDraftLocked(const std::string& instance,
                                                  const FaqDraft& draft, uint64_t group_id,
                                                  int group_size, const std::string& source,
                                                  int64_t now_ms) {
  if (draft.title.empty() || draft.body_html.empty()) {
    return Status::InvalidArgument("an FAQ draft needs a title and a body");
  }
  StoredDraft d;
  d.instance = instance;
  d.group_id = group_id;
  d.state = config_.hold_for_approval ? DraftState::kPending : DraftState::kApproved;
  d.draft = draft;
  d.source = source;
  d.group_size = group_size;
  d.created_ms = d.updated_ms = now_ms;
  auto id = repo_->InsertDraft(d);
  if (!id.ok()) return id.status();
  d.id = *id;
  return d;
}

Status FaqService::RecordAnswer(const std::string& instance, const std::string& ticket_id,
                                const std::string& answer_text, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Status s = repo_->SetAnswer(instance, ticket_id, answer_text); !s.ok()) return s;
  auto rows = repo_->GetQuestions(instance, {ticket_id});
  if (!rows.ok() || rows->empty() || rows->front().group_id == 0) return rows.status();
  uint64_t group = IndexFor(instance).Resolve(rows->front().group_id);
  auto latest = repo_->LatestGroupDraft(instance, group);
  if (!latest.ok()) return latest.status();
  // Refresh a pending, never-edited draft so the approver sees the answer.
  if (*latest && (*latest)->state == DraftState::kPending &&
      (*latest)->updated_ms == (*latest)->created_ms &&
      (*latest)->draft.body_html.find("Answer given") == std::string::npos) {
    auto draft = ComposeFor(instance, group);
    if (!draft.ok()) return draft.status();
    StoredDraft d = **latest;
    d.draft.body_html = draft->body_html;
    d.updated_ms = d.created_ms;  // still "not edited by a person"
    return repo_->UpdateDraft(d);
  }
  return Status::Ok();
}

Result<std::vector<StoredDraft>> FaqService::ListDrafts(std::optional<DraftState> state) {
  std::lock_guard<std::mutex> lock(mu_);
  return repo_->ListDrafts(state);
}

Result<StoredDraft> FaqService::GetDraft(int64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  return repo_->GetDraft(id);
}

Result<StoredDraft> FaqService::Transition(int64_t id, DraftState to, const DraftEdits* edits,
                                           int64_t now_ms) {
  auto got = repo_->GetDraft(id);
  if (!got.ok()) return got.status();
  StoredDraft d = std::move(*got);
  if (d.state != DraftState::kPending) {
    return Status::InvalidArgument("FAQ draft " + std::to_string(id) + " is " +
                                   std::string(DraftStateName(d.state)) + ", not pending");
  }
  if (edits) {
    if (edits->title) d.draft.title = *edits->title;
    if (edits->body_html) d.draft.body_html = *edits->body_html;
    if (d.draft.title.empty() || d.draft.body_html.empty()) {
      return Status::InvalidArgument("an FAQ draft needs a title and a body");
    }
  }
  d.state = to;
  d.updated_ms = std::max(now_ms, d.created_ms + 1);  // marks "touched by a person"
  if (Status s = repo_->UpdateDraft(d); !s.ok()) return s;
  return d;
}

Result<StoredDraft> FaqService::Approve(int64_t id, const DraftEdits& edits, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  return Transition(id, DraftState::kApproved, &edits, now_ms);
}

Result<StoredDraft> FaqService::Edit(int64_t id, const DraftEdits& edits, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  return Transition(id, DraftState::kPending, &edits, now_ms);
}

Result<StoredDraft> FaqService::Reject(int64_t id, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  return Transition(id, DraftState::kRejected, nullptr, now_ms);
}

Result<int> FaqService::ExpirePending(int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  auto pending = repo_->ListDrafts(DraftState::kPending);
  if (!pending.ok()) return pending.status();
  int n = 0;
  for (StoredDraft d : *pending) {
    if (now_ms - d.created_ms < config_.pending_expiry_ms) continue;
    d.state = DraftState::kExpired;
    d.updated_ms = now_ms;
    if (Status s = repo_->UpdateDraft(d); !s.ok()) return s;
    ++n;
  }
  return n;
}

Result<std::vector<StoredDraft>> FaqService::DraftsToCreate() {
  std::lock_guard<std::mutex> lock(mu_);
  return repo_->ListDrafts(DraftState::kApproved);
}

Status FaqService::MarkCreated(int64_t id, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  auto d = repo_->GetDraft(id);
  if (!d.ok()) return d.status();
  if (d->state != DraftState::kApproved) {
    return Status::InvalidArgument("draft " + std::to_string(id) + " is not approved");
  }
  d->state = DraftState::kCreated;
  d->updated_ms = now_ms;
  return repo_->UpdateDraft(*d);
}

int FaqService::GroupSize(const std::string& instance, uint64_t group_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = indexes_.find(instance);
  return it == indexes_.end() ? 0 : it->second->GroupSize(group_id);
}

}  // namespace deskhook::faq
