// FaqService: repeated-question grouping per helpdesk instance, persisted, plus FAQ drafting with
// an optional approval hold. The host calls it from its worker threads; the admin API exposes
// ListDrafts / Approve / Edit / Reject as GET /api/faq-drafts, POST /api/faq-drafts/<id>/approve
// | reject, PUT /api/faq-drafts/<id>.
//
// Draft life cycle (DraftState):
//   group reaches draft_min_group, no draft yet ─┬─ hold_for_approval ──> pending ─┬─ approve ─> approved
//   script draft_faq{...} (RecordDraft) ─────────┘                                ├─ reject ──> rejected
//                                                 └─ no hold ───────────> approved └─ expiry ──> expired
//   approved ── DraftsToCreate + MarkCreated ──> created (its outbox call stored first)
// A group gets one draft. After a rejection or expiry it is proposed again only once it has
// grown to regrow_factor times its size when that draft was proposed.
//
// Thread-safety: every method may be called from any thread (one internal mutex).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "connectors/model/decision.h"
#include "connectors/model/status.h"
#include "host/faq/faq_repository.h"
#include "host/faq/question_index.h"

namespace deskhook::faq {

struct FaqConfig {
  IndexOptions index;                  // window_ms (default 30 days), threshold, merging
  int draft_min_group = 10;            // members (this one included) that trigger a draft
  bool hold_for_approval = true;       // pending until approved in deskhook
  int64_t pending_expiry_ms = 7LL * 24 * 3600 * 1000;
  double regrow_factor = 2.0;          // re-propose a rejected/expired group at this growth
  int max_variants = 8;                // customer wordings listed in a draft body
  std::string synonyms_path;           // optional synonyms file (see Analyzer::LoadSynonyms)
};

struct QuestionOutcome {
  SimilarResult similar;               // t.similar for scripts
  std::optional<StoredDraft> draft;    // a draft this question triggered (pending or approved)
  bool duplicate = false;              // the ticket was already logged; nothing changed
};

struct DraftEdits {
  std::optional<std::string> title, body_html;
};

class FaqService {
 public:
  // Creates the tables if missing and rebuilds every instance's index from the questions logged
  // within the window before now_ms.
  static Result<std::unique_ptr<FaqService>> Open(FaqConfig config,
                                                  std::unique_ptr<FaqRepository> repository,
                                                  int64_t now_ms);

  // The first customer message of a new ticket. Cleans it, groups it, logs it, and drafts when
  // the group qualifies. A ticket already logged is not added twice (duplicate=true, similar is
  // the group it is in). Text with no index terms is logged ungrouped (group_id 0).
  Result<QuestionOutcome> OnQuestion(const std::string& instance, const std::string& ticket_id,
                                     const std::string& first_message, int64_t time_ms);

  // An agent's reply on a solved ticket; quoted by the group's draft when it is composed later,
  // and added to a still-pending draft of the group. NotFound when the ticket was not logged.
  Status RecordAnswer(const std::string& instance, const std::string& ticket_id,
                      const std::string& answer_text, int64_t now_ms);

  // The one way a FaqDraft becomes a recorded draft, for groups and for scripts' draft_faq{...}:
  // state pending under hold_for_approval, else approved. group_id 0 for script drafts.
  // InvalidArgument for an empty title or body.
  Result<StoredDraft> RecordDraft(const std::string& instance, const FaqDraft& draft,
                                  uint64_t group_id, int group_size, const std::string& source,
                                  int64_t now_ms);

  Result<std::vector<StoredDraft>> ListDrafts(std::optional<DraftState> state);
  Result<StoredDraft> GetDraft(int64_t id);
  // pending -> approved (with optional edits). InvalidArgument when not pending.
  Result<StoredDraft> Approve(int64_t id, const DraftEdits& edits, int64_t now_ms);
  // Edits a pending draft in place. InvalidArgument when not pending or edits empty the draft.
  Result<StoredDraft> Edit(int64_t id, const DraftEdits& edits, int64_t now_ms);
  // pending -> rejected. InvalidArgument when not pending.
  Result<StoredDraft> Reject(int64_t id, int64_t now_ms);
  // pending drafts older than pending_expiry_ms -> expired. Returns how many.
  Result<int> ExpirePending(int64_t now_ms);
  // Approved drafts, to be handed to the connector (outbox). The caller marks each created
  // only after its call is stored (MarkCreated), so a crash in between leaves it approved and
  // it is handed out again; the caller's store key makes that second hand-off a no-op.
  Result<std::vector<StoredDraft>> DraftsToCreate();
  // approved -> created. InvalidArgument when the draft is not approved.
  Status MarkCreated(int64_t id, int64_t now_ms);

  // Group size in the window for an instance's group id (0 if unknown).
  int GroupSize(const std::string& instance, uint64_t group_id);

 private:
  FaqService(FaqConfig config, std::unique_ptr<FaqRepository> repository);
  QuestionIndex& IndexFor(const std::string& instance);  // REQUIRES: mu_ held
  Result<std::optional<StoredDraft>> MaybeDraft(const std::string& instance, uint64_t group_id,
                                                int64_t now_ms);  // REQUIRES: mu_ held
  Result<StoredDraft> RecordDraftLocked(const std::string& instance, const FaqDraft& draft,
                                        uint64_t group_id, int group_size,
                                        const std::string& source, int64_t now_ms);
  Result<FaqDraft> ComposeFor(const std::string& instance, uint64_t group_id);
  Result<StoredDraft> Transition(int64_t id, DraftState to, const DraftEdits* edits, int64_t now_ms);

  std::mutex mu_;
  FaqConfig config_;
  std::unique_ptr<FaqRepository> repo_;
  std::shared_ptr<const Analyzer> analyzer_;
  std::map<std::string, std::unique_ptr<QuestionIndex>> indexes_;  // by instance
};

}  // namespace deskhook::faq
