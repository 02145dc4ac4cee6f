// Internal to the store: one SQLite connection with its cached prepared statements, a cursor
// that resets a cached statement when it leaves scope, and the mapping of SQLite result codes
// to Status. Not part of the public API.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "connectors/model/status.h"

namespace deskhook::store_internal {

// Disk, lock and resource errors are Unavailable (the caller may retry later: HTTP 503);
// constraint violations are AlreadyExists; anything else is Internal.
Status SqlStatus(sqlite3* db, int rc, std::string_view what);

// Thread-compatible: one thread at a time.
class Conn {
 public:
  // Opens `path`; the writer may create the file, readers are query-only.
  static Result<std::unique_ptr<Conn>> Open(const std::string& path, bool writer,
                                            int busy_timeout_ms);
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  sqlite3* db() const { return db_; }
  // The cached statement for `sql`, prepared on first use. REQUIRES: `sql` outlives the
  // connection (a string literal); the statement is reset when handed out.
  Result<sqlite3_stmt*> Prepare(const char* sql);
  // Runs one or more statements without results.
  Status Exec(const char* sql);
  // Runs one statement without results through the statement cache (Exec prepares each time).
  // REQUIRES: as for Prepare.
  Status ExecCached(const char* sql);

 private:
  explicit Conn(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::unordered_map<const char*, sqlite3_stmt*> cache_;
};

// Binds parameters, steps and reads columns of a cached statement; resets it on destruction.
class Cursor {
 public:
  explicit Cursor(sqlite3_stmt* s) : s_(s) {}
  ~Cursor() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;

  Cursor& Bind(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); return *this; }
  Cursor& BindDouble(int i, double v) { sqlite3_bind_double(s_, i, v); return *this; }
  // Text is bound without a copy: REQUIRES the bytes stay valid until the cursor is gone.
  Cursor& Bind(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  Cursor& BindBlob(int i, std::string_view v) {
    sqlite3_bind_blob(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  Cursor& BindNull(int i) { sqlite3_bind_null(s_, i); return *this; }

  int Step() { return sqlite3_step(s_); }  // SQLITE_ROW, SQLITE_DONE or an error code
  // Steps a statement that returns no rows; maps errors to Status.
  Status Run(std::string_view what);

  int64_t Int(int c) const { return sqlite3_column_int64(s_, c); }
  double Double(int c) const { return sqlite3_column_double(s_, c); }
  bool IsNull(int c) const { return sqlite3_column_type(s_, c) == SQLITE_NULL; }
  std::string Text(int c) const;  // text or blob bytes; "" for NULL
  sqlite3_stmt* get() const { return s_; }

 private:
  sqlite3_stmt* s_;
};

}  // namespace deskhook::store_internal
