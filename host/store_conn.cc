#include "host/store_conn.h"

#include <mutex>

namespace deskhook::store_internal {

Status SqlStatus(sqlite3* db, int rc, std::string_view what) {
  // Called after every statement: the success cases build no message.
  switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
      return Status::Ok();
  }
  std::string msg(what);
  msg += ": ";
  msg += (db != nullptr && sqlite3_errcode(db) == rc) ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {  // primary result code
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_NOMEM:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
    case SQLITE_INTERRUPT:
      return Status::Unavailable(std::move(msg));
    case SQLITE_CONSTRAINT:
      return Status::AlreadyExists(std::move(msg));
    default:
      return Status::Internal(std::move(msg));
  }
}

namespace {

// SQLite counts every allocation under a process-wide mutex unless told not to; deskhook never
// reads those counters (sqlite3_status). Must run before SQLite initialises; if another part of
// the process initialised it first, the call fails harmlessly and the counting stays on.
void DisableMemoryStatusOnce() {
  static std::once_flag once;
  std::call_once(once, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

}  // namespace

Result<std::unique_ptr<Conn>> Conn::Open(const std::string& path, bool writer,
                                         int busy_timeout_ms) {
  DisableMemoryStatusOnce();
  sqlite3* db = nullptr;
  // NOMUTEX: every connection is used by one thread at a time (the writer thread, or a reader
  // checked out of the pool), so SQLite's per-connection mutex is not needed.
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (writer) flags |= SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status st = SqlStatus(db, rc, "open " + path);
    sqlite3_close_v2(db);
    if (st.code() == Code::kInternal) return Status::Unavailable(st.message());
    return st;
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  std::unique_ptr<Conn> conn(new Conn(db));
  if (!writer) {
    // A reader's page cache is dropped whenever the writer commits, so a big one buys little
    // and only grows the resident set.
    Status st = conn->Exec("PRAGMA query_only = 1; PRAGMA cache_size = -1024;");
    if (!st.ok()) return st;
  }
  return conn;
}

Conn::~Conn() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Result<sqlite3_stmt*> Conn::Prepare(const char* sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return it->second;
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return SqlStatus(db_, rc, "prepare");
  cache_.emplace(sql, stmt);
  return stmt;
}

Status Conn::Exec(const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return Status::Ok();
  std::string what = err != nullptr ? err : "exec";
  sqlite3_free(err);
  return SqlStatus(nullptr, rc, what);
}

Status Conn::ExecCached(const char* sql) {
  auto stmt = Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  Cursor c(*stmt);
  return c.Run(sql);
}

Status Cursor::Run(std::string_view what) {
  int rc = Step();
  if (rc == SQLITE_DONE || rc == SQLITE_ROW) return Status::Ok();
  return SqlStatus(sqlite3_db_handle(s_), rc, what);
}

std::string Cursor::Text(int c) const {
  const void* p = sqlite3_column_blob(s_, c);
  int n = sqlite3_column_bytes(s_, c);
  if (p == nullptr || n <= 0) return std::string();
  return std::string(static_cast<const char*>(p), static_cast<size_t>(n));
}

}  // namespace deskhook::store_internal
