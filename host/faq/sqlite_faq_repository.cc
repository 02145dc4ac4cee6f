// SQLite implementation of FaqRepository with raw sqlite3 calls.
#include <sqlite3.h>

#include <sstream>

#include "host/faq/faq_repository.h"

namespace deskhook::faq {
namespace {

Status SqlError(sqlite3* db, const std::string& what) {
  return Status::Internal(what + ": " + sqlite3_errmsg(db));
}

// RAII prepared statement with positional binding.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) stmt_ = nullptr;
  }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return stmt_ != nullptr; }
  Stmt& Bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& Bind(int i, int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  int Step() { return sqlite3_step(stmt_); }
  std::string Text(int c) const {
    const unsigned char* t = sqlite3_column_text(stmt_, c);
    return t ? std::string(reinterpret_cast<const char*>(t), sqlite3_column_bytes(stmt_, c)) : "";
  }
  int64_t Int(int c) const { return sqlite3_column_int64(stmt_, c); }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

Status Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string m = err ? err : "?";
    sqlite3_free(err);
    return Status::Internal(std::string("faq sql: ") + m);
  }
  return Status::Ok();
}

// Runs a statement to completion. REQUIRES: st.ok().
Status Done(sqlite3* db, Stmt& st, const char* what) {
  if (!st.ok()) return SqlError(db, what);
  int rc = st.Step();
  if (rc == SQLITE_CONSTRAINT) return Status::AlreadyExists(what);
  return rc == SQLITE_DONE ? Status::Ok() : SqlError(db, what);
}

std::string JoinLabels(const std::vector<std::string>& labels) {
  std::string out;
  for (const auto& l : labels) out += (out.empty() ? "" : "\n") + l;
  return out;
}
std::vector<std::string> SplitLabels(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string l;
  while (std::getline(ss, l)) {
    if (!l.empty()) out.push_back(l);
  }
  return out;
}

constexpr const char* kDraftColumns =
    "id, instance, group_id, state, title, body_html, group_key, labels, source, group_size, "
    "created_ms, updated_ms";

StoredDraft DraftFromRow(const Stmt& st) {
  StoredDraft d;
  d.id = st.Int(0);
  d.instance = st.Text(1);
  d.group_id = static_cast<uint64_t>(st.Int(2));
  d.state = ParseDraftState(st.Text(3)).value_or(DraftState::kPending);
  d.draft.title = st.Text(4);
  d.draft.body_html = st.Text(5);
  d.draft.group_key = st.Text(6);
  d.draft.labels = SplitLabels(st.Text(7));
  d.source = st.Text(8);
  d.group_size = static_cast<int>(st.Int(9));
  d.created_ms = st.Int(10);
  d.updated_ms = st.Int(11);
  return d;
}

class SqliteFaqRepository : public FaqRepository {
 public:
  explicit SqliteFaqRepository(SqlAccess access) : sql_(std::move(access)) {}

  Status Init() override {
    return sql_.write([](sqlite3* db) {
      return Exec(db,
                  "CREATE TABLE IF NOT EXISTS faq_questions(seq INTEGER PRIMARY KEY AUTOINCREMENT,"
                  " instance TEXT NOT NULL, ticket_id TEXT NOT NULL, text TEXT NOT NULL,"
                  " time_ms INTEGER NOT NULL, group_id INTEGER NOT NULL, answer TEXT NOT NULL"
                  " DEFAULT '', UNIQUE(instance, ticket_id));"
                  "CREATE INDEX IF NOT EXISTS faq_questions_time ON faq_questions(time_ms);"
                  "CREATE INDEX IF NOT EXISTS faq_questions_group ON faq_questions(instance,"
                  " group_id);"
                  "CREATE TABLE IF NOT EXISTS faq_groups(instance TEXT NOT NULL, group_id INTEGER"
                  " NOT NULL, merged_into INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL,"
                  " PRIMARY KEY(instance, group_id));"
                  "CREATE TABLE IF NOT EXISTS faq_drafts(id INTEGER PRIMARY KEY AUTOINCREMENT,"
                  " instance TEXT NOT NULL, group_id INTEGER NOT NULL, state TEXT NOT NULL,"
                  " title TEXT NOT NULL, body_html TEXT NOT NULL, group_key TEXT NOT NULL,"
                  " labels TEXT NOT NULL, source TEXT NOT NULL, group_size INTEGER NOT NULL,"
                  " created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);"
                  "CREATE INDEX IF NOT EXISTS faq_drafts_group ON faq_drafts(instance, group_id);"
                  "CREATE INDEX IF NOT EXISTS faq_drafts_state ON faq_drafts(state);");
    });
  }

  Status AppendQuestion(const QuestionChanges& c) override {
    return sql_.write([&](sqlite3* db) -> Status {
      const StoredQuestion& q = c.question;
      Stmt ins(db,
               "INSERT INTO faq_questions(instance, ticket_id, text, time_ms, group_id, answer)"
               " VALUES(?,?,?,?,?,?)");
      if (!ins.ok()) return SqlError(db, "faq insert question");
      ins.Bind(1, q.instance).Bind(2, q.ticket_id).Bind(3, q.text).Bind(4, q.time_ms);
      ins.Bind(5, static_cast<int64_t>(q.group_id)).Bind(6, q.answer);
      if (Status s = Done(db, ins, "faq insert question"); !s.ok()) return s;
      if (c.new_group) {
        Stmt g(db, "INSERT OR IGNORE INTO faq_groups(instance, group_id, created_ms) VALUES(?,?,?)");
        g.Bind(1, q.instance).Bind(2, static_cast<int64_t>(q.group_id)).Bind(3, q.time_ms);
        if (Status s = Done(db, g, "faq insert group"); !s.ok()) return s;
      }
      for (auto [from, into] : c.merges) {
        const char* sqls[] = {
            "UPDATE faq_questions SET group_id=?2 WHERE instance=?1 AND group_id=?3",
            "UPDATE faq_drafts SET group_id=?2 WHERE instance=?1 AND group_id=?3",
            "UPDATE faq_groups SET merged_into=?2 WHERE instance=?1 AND group_id=?3"};
        for (const char* sql : sqls) {
          Stmt u(db, sql);
          u.Bind(1, q.instance).Bind(2, static_cast<int64_t>(into)).Bind(3, static_cast<int64_t>(from));
          if (Status s = Done(db, u, "faq merge"); !s.ok()) return s;
        }
      }
      return Status::Ok();
    });
  }

  Result<bool> HasQuestion(const std::string& instance, const std::string& ticket_id) override {
    bool found = false;
    Status s = sql_.read([&](sqlite3* db) -> Status {
      Stmt st(db, "SELECT 1 FROM faq_questions WHERE instance=? AND ticket_id=?");
      if (!st.ok()) return SqlError(db, "faq has question");
      st.Bind(1, instance).Bind(2, ticket_id);
      found = st.Step() == SQLITE_ROW;
      return Status::Ok();
    });
    if (!s.ok()) return s;
    return found;
  }

  Status SetAnswer(const std::string& instance, const std::string& ticket_id,
                   const std::string& answer) override {
    return sql_.write([&](sqlite3* db) -> Status {
      Stmt st(db, "UPDATE faq_questions SET answer=? WHERE instance=? AND ticket_id=?");
      if (!st.ok()) return SqlError(db, "faq set answer");
      st.Bind(1, answer).Bind(2, instance).Bind(3, ticket_id);
      if (Status s = Done(db, st, "faq set answer"); !s.ok()) return s;
      if (sqlite3_changes(db) == 0) return Status::NotFound("no logged question for ticket " + ticket_id);
      return Status::Ok();
    });
  }

  Result<std::vector<StoredQuestion>> LoadQuestions(int64_t since_ms) override {
    std::vector<StoredQuestion> out;
    Status s = sql_.read([&](sqlite3* db) -> Status {
      Stmt st(db,
              "SELECT instance, ticket_id, text, time_ms, group_id, answer FROM faq_questions"
              " WHERE time_ms >= ? ORDER BY seq");
      if (!st.ok()) return SqlError(db, "faq load questions");
      st.Bind(1, since_ms);
      int rc;
      while ((rc = st.Step()) == SQLITE_ROW) {
        out.push_back(StoredQuestion{st.Text(0), st.Text(1), st.Text(2), st.Int(3),
                                     static_cast<uint64_t>(st.Int(4)), st.Text(5)});
      }
      return rc == SQLITE_DONE ? Status::Ok() : SqlError(db, "faq load questions");
    });
    if (!s.ok()) return s;
    return out;
  }

  Result<std::vector<StoredQuestion>> GetQuestions(const std::string& instance,
                                                   const std::vector<std::string>& ids) override {
    std::vector<StoredQuestion> out;
    Status s = sql_.read([&](sqlite3* db) -> Status {
      for (const auto& id : ids) {
        Stmt st(db,
                "SELECT instance, ticket_id, text, time_ms, group_id, answer FROM faq_questions"
                " WHERE instance=? AND ticket_id=?");
        if (!st.ok()) return SqlError(db, "faq get question");
        st.Bind(1, instance).Bind(2, id);
        if (st.Step() == SQLITE_ROW) {
          out.push_back(StoredQuestion{st.Text(0), st.Text(1), st.Text(2), st.Int(3),
                                       static_cast<uint64_t>(st.Int(4)), st.Text(5)});
        }
      }
      return Status::Ok();
    });
    if (!s.ok()) return s;
    return out;
  }

  Result<uint64_t> MaxGroupId(const std::string& instance) override {
    uint64_t max_id = 0;
    Status s = sql_.read([&](sqlite3* db) -> Status {
      Stmt st(db, "SELECT COALESCE(MAX(group_id), 0) FROM faq_groups WHERE instance=?");
      if (!st.ok()) return SqlError(db, "faq max group");
      st.Bind(1, instance);
      if (st.Step() == SQLITE_ROW) max_id = static_cast<uint64_t>(st.Int(0));
      return Status::Ok();
    });
    if (!s.ok()) return s;
    return max_id;
  }

  Status PruneQuestions(int64_t before_ms) override {
    return sql_.write([&](sqlite3* db) -> Status {
      Stmt st(db, "DELETE FROM faq_questions WHERE time_ms < ?");
      st.Bind(1, before_ms);
      return Done(db, st, "faq prune");
    });
  }

  Result<int64_t> InsertDraft(const StoredDraft& d) override {
    int64_t id = 0;
    Status s = sql_.write([&](sqlite3* db) -> Status {
      Stmt st(db,
              "INSERT INTO faq_drafts(instance, group_id, state, title, body_html, group_key,"
              " labels, source, group_size, created_ms, updated_ms) VALUES(?,?,?,?,?,?,?,?,?,?,?)");
      if (!st.ok()) return SqlError(db, "faq insert draft");
      st.Bind(1, d.instance).Bind(2, static_cast<int64_t>(d.group_id));
      st.Bind(3, std::string(DraftStateName(d.state))).Bind(4, d.draft.title);
      st.Bind(5, d.draft.body_html).Bind(6, d.draft.group_key).Bind(7, JoinLabels(d.draft.labels));
      st.Bind(8, d.source).Bind(9, static_cast<int64_t>(d.group_size)).Bind(10, d.created_ms);
      st.Bind(11, d.updated_ms);
      if (Status r = Done(db, st, "faq insert draft"); !r.ok()) return r;
      id = sqlite3_last_insert_rowid(db);
      return Status::Ok();
    });
    if (!s.ok()) return s;
    return id;
  }

  Status UpdateDraft(const StoredDraft& d) override {
    return sql_.write([&](sqlite3* db) -> Status {
      Stmt st(db,
              "UPDATE faq_drafts SET state=?, title=?, body_html=?, labels=?, updated_ms=?"
              " WHERE id=?");
      if (!st.ok()) return SqlError(db, "faq update draft");
      st.Bind(1, std::string(DraftStateName(d.state))).Bind(2, d.draft.title);
      st.Bind(3, d.draft.body_html).Bind(4, JoinLabels(d.draft.labels)).Bind(5, d.updated_ms);
      st.Bind(6, d.id);
      if (Status r = Done(db, st, "faq update draft"); !r.ok()) return r;
      if (sqlite3_changes(db) == 0) return Status::NotFound("no FAQ draft " + std::to_string(d.id));
      return Status::Ok();
    });
  }

  Result<StoredDraft> GetDraft(int64_t id) override {
    std::optional<StoredDraft> out;
    Status s = sql_.read([&](sqlite3* db) -> Status {
      std::string sql = std::string("SELECT ") + kDraftColumns + " FROM faq_drafts WHERE id=?";
      Stmt st(db, sql.c_str());
      if (!st.ok()) return SqlError(db, "faq get draft");
      st.Bind(1, id);
      if (st.Step() == SQLITE_ROW) out = DraftFromRow(st);
      return Status::Ok();
    });
    if (!s.ok()) return s;
    if (!out) return Status::NotFound("no FAQ draft " + std::to_string(id));
    return *out;
  }

  Result<std::vector<StoredDraft>> ListDrafts(std::optional<DraftState> state) override {
    std::vector<StoredDraft> out;
    Status s = sql_.read([&](sqlite3* db) -> Status {
      std::string sql = std::string("SELECT ") + kDraftColumns + " FROM faq_drafts" +
                        (state ? " WHERE state=?" : "") + " ORDER BY id";
      Stmt st(db, sql.c_str());
      if (!st.ok()) return SqlError(db, "faq list drafts");
      if (state) st.Bind(1, std::string(DraftStateName(*state)));
      while (st.Step() == SQLITE_ROW) out.push_back(DraftFromRow(st));
      return Status::Ok();
    });
    if (!s.ok()) return s;
    return out;
  }

  Result<std::optional<StoredDraft>> LatestGroupDraft(const std::string& instance,
                                                      uint64_t group_id) override {
    std::optional<StoredDraft> out;
    Status s = sql_.read([&](sqlite3* db) -> Status {
      std::string sql = std::string("SELECT ") + kDraftColumns +
                        " FROM faq_drafts WHERE instance=? AND group_id=? ORDER BY id DESC LIMIT 1";
      Stmt st(db, sql.c_str());
      if (!st.ok()) return SqlError(db, "faq group draft");
      st.Bind(1, instance).Bind(2, static_cast<int64_t>(group_id));
      if (st.Step() == SQLITE_ROW) out = DraftFromRow(st);
      return Status::Ok();
    });
    if (!s.ok()) return s;
    return out;
  }

 private:
  SqlAccess sql_;
};

}  // namespace

std::string_view DraftStateName(DraftState s) {
  switch (s) {
    case DraftState::kPending: return "pending";
    case DraftState::kApproved: return "approved";
    case DraftState::kRejected: return "rejected";
    case DraftState::kCreated: return "created";
    case DraftState::kExpired: return "expired";
  }
  return "pending";
}

std::optional<DraftState> ParseDraftState(std::string_view name) {
  for (DraftState s : {DraftState::kPending, DraftState::kApproved, DraftState::kRejected,
                       DraftState::kCreated, DraftState::kExpired}) {
    if (DraftStateName(s) == name) return s;
  }
  return std::nullopt;
}

SqlAccess DirectSqlAccess(sqlite3* db) {
  SqlAccess a;
  a.write = [db](SqlFn fn) -> Status {
    if (Status s = Exec(db, "BEGIN IMMEDIATE"); !s.ok()) return s;
    Status s = fn(db);
    if (!s.ok()) {
      Exec(db, "ROLLBACK");
      return s;
    }
    return Exec(db, "COMMIT");
  };
  a.read = [db](const SqlFn& fn) { return fn(db); };
  return a;
}

std::unique_ptr<FaqRepository> NewSqliteFaqRepository(SqlAccess access) {
  return std::make_unique<SqliteFaqRepository>(std::move(access));
}

}  // namespace deskhook::faq
