// Persistence for repeated-question grouping and FAQ drafts: the question log the grouping index
// is rebuilt from at startup, the group ids handed out, and the drafts with their approval state.
//
// Tables (created by Init, all prefixed faq_):
//   faq_questions(seq PK, instance, ticket_id, text, time_ms, group_id, answer) UNIQUE(instance,
//     ticket_id) — the log, in arrival order (seq); group_id is kept resolved through merges.
//   faq_groups(instance, group_id, merged_into, created_ms) PK(instance, group_id) — ids handed out.
//   faq_drafts(id PK, instance, group_id, state, title, body_html, group_key, labels, source,
//     group_size, created_ms, updated_ms).
//
// Thread-safety: implementations are safe to call from several threads if their SqlAccess is
// (the host's Store is); FaqService serialises its own calls anyway.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "connectors/model/decision.h"
#include "connectors/model/status.h"

struct sqlite3;

namespace deskhook::faq {

enum class DraftState { kPending, kApproved, kRejected, kCreated, kExpired };
std::string_view DraftStateName(DraftState s);  // "pending", "approved", ...
std::optional<DraftState> ParseDraftState(std::string_view name);

struct StoredQuestion {
  std::string instance, ticket_id, text;  // text: the cleaned question
  int64_t time_ms = 0;
  uint64_t group_id = 0;                  // 0: not grouped (no index terms)
  std::string answer;                     // agent's reply on the solved ticket, "" if unknown
};

struct StoredDraft {
  int64_t id = 0;
  std::string instance;
  uint64_t group_id = 0;   // 0 for drafts a script asked for
  DraftState state = DraftState::kPending;
  FaqDraft draft;
  std::string source;      // "group" or "script"
  int group_size = 0;      // members when proposed (the regrow rule compares with it)
  int64_t created_ms = 0, updated_ms = 0;
};

// One transaction's worth of grouping changes for a new question.
struct QuestionChanges {
  StoredQuestion question;
  bool new_group = false;                              // question.group_id was just created
  std::vector<std::pair<uint64_t, uint64_t>> merges;   // (from, into), applied in order
};

class FaqRepository {
 public:
  virtual ~FaqRepository() = default;
  virtual Status Init() = 0;  // creates the tables if missing
  // Appends the question and applies merges (question and draft rows follow the merged ids), in
  // one transaction. AlreadyExists when (instance, ticket_id) is already logged (nothing changes).
  virtual Status AppendQuestion(const QuestionChanges& changes) = 0;
  virtual Result<bool> HasQuestion(const std::string& instance, const std::string& ticket_id) = 0;
  // NotFound when the ticket's question is not logged.
  virtual Status SetAnswer(const std::string& instance, const std::string& ticket_id,
                           const std::string& answer) = 0;
  // Questions with time_ms >= since_ms, in arrival order (all instances).
  virtual Result<std::vector<StoredQuestion>> LoadQuestions(int64_t since_ms) = 0;
  virtual Result<std::vector<StoredQuestion>> GetQuestions(
      const std::string& instance, const std::vector<std::string>& ticket_ids) = 0;
  // Largest group id handed out for the instance (0 if none).
  virtual Result<uint64_t> MaxGroupId(const std::string& instance) = 0;
  // Deletes logged questions older than before_ms (outside every window).
  virtual Status PruneQuestions(int64_t before_ms) = 0;

  // Drafts. InsertDraft returns the new id.
  virtual Result<int64_t> InsertDraft(const StoredDraft& draft) = 0;
  // Updates state, draft content and updated_ms of draft.id; NotFound for an unknown id.
  virtual Status UpdateDraft(const StoredDraft& draft) = 0;
  virtual Result<StoredDraft> GetDraft(int64_t id) = 0;
  virtual Result<std::vector<StoredDraft>> ListDrafts(std::optional<DraftState> state) = 0;
  // The newest draft of a group, if any.
  virtual Result<std::optional<StoredDraft>> LatestGroupDraft(const std::string& instance,
                                                              uint64_t group_id) = 0;
};

// How the SQLite repository reaches the database: the host passes Store::Write / Store::Read;
// `write` must run fn inside a transaction and roll it back when fn fails.
using SqlFn = std::function<Status(sqlite3*)>;
struct SqlAccess {
  std::function<Status(SqlFn)> write;
  std::function<Status(const SqlFn&)> read;
};

// Direct access to an open connection (tests, tools): BEGIN IMMEDIATE / COMMIT / ROLLBACK around
// each write. REQUIRES: db outlives the returned access; calls serialised by the caller.
SqlAccess DirectSqlAccess(sqlite3* db);

std::unique_ptr<FaqRepository> NewSqliteFaqRepository(SqlAccess access);

}  // namespace deskhook::faq
