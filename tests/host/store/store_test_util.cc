#include "tests/host/store/store_test_util.h"

#include <sqlite3.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

namespace deskhook::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/deskhook-store-XXXXXX";
  char* made = mkdtemp(tmpl.data());
  if (made == nullptr) std::abort();
  path_ = made;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

StoreOptions Options(const std::string& path, int64_t dedupe_window_s) {
  StoreOptions o;
  o.path = path;
  o.dedupe_window_s = dedupe_window_s;
  return o;
}

NewEvent MakeEvent(const std::string& instance, const std::string& key, const std::string& ticket,
                   const std::string& body) {
  NewEvent e;
  e.instance = instance;
  e.ticket_id = ticket;
  e.kind = "ticket_created";
  e.dedupe_key = key;
  e.received_ms = NowMs();
  e.body = body;
  e.meta_json = "{\"delivery\":\"" + key + "\"}";
  return e;
}

std::unique_ptr<Store> OpenOrFail(const StoreOptions& options) {
  auto store = Store::Open(options);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  if (!store.ok()) return nullptr;
  return std::move(store).value();
}

std::string IntegrityCheck(Store& store) {
  std::string result;
  Status st = store.Read([&](sqlite3* db) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr) != SQLITE_OK) {
      return Status::Internal(sqlite3_errmsg(db));
    }
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      result += reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    return Status::Ok();
  });
  if (!st.ok()) return st.ToString();
  return result;
}

std::vector<std::string> AllDedupeKeys(Store& store) {
  std::vector<std::string> keys;
  Status st = store.Read([&](sqlite3* db) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT dedupe_key FROM events", -1, &stmt, nullptr) !=
        SQLITE_OK) {
      return Status::Internal(sqlite3_errmsg(db));
    }
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      keys.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
    }
    sqlite3_finalize(stmt);
    return Status::Ok();
  });
  EXPECT_TRUE(st.ok()) << st.ToString();
  return keys;
}

int64_t CountRows(Store& store, const std::string& table) {
  int64_t n = -1;
  Status st = store.Read([&](sqlite3* db) {
    sqlite3_stmt* stmt = nullptr;
    const std::string sql = "SELECT COUNT(*) FROM " + table;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      return Status::Internal(sqlite3_errmsg(db));
    }
    if (sqlite3_step(stmt) == SQLITE_ROW) n = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return Status::Ok();
  });
  EXPECT_TRUE(st.ok()) << st.ToString();
  return n;
}

namespace {

// Runs `sql` on the database at `path` through a plain connection, failing the test on error.
void ExecOnClosedDatabase(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
}

}  // namespace

void DowngradeToSchema4(const std::string& path) {
  ExecOnClosedDatabase(path,
      "CREATE TABLE outbox_v4(id INTEGER PRIMARY KEY, event_id INTEGER NOT NULL, seq INTEGER NOT NULL,"
      "  instance TEXT NOT NULL, ticket_id TEXT NOT NULL, idem_key TEXT UNIQUE, kind TEXT NOT NULL,"
      "  method TEXT NOT NULL, path TEXT NOT NULL, headers_json TEXT NOT NULL, body BLOB NOT NULL,"
      "  capture_pointer TEXT NOT NULL, capture_as TEXT NOT NULL, state INTEGER NOT NULL DEFAULT 0,"
      "  attempts INTEGER NOT NULL DEFAULT 0, next_attempt_ms INTEGER NOT NULL DEFAULT 0,"
      "  last_status INTEGER NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '',"
      "  created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL, rate_limited INTEGER NOT NULL DEFAULT 0);"
      "INSERT INTO outbox_v4 SELECT id, event_id, seq, instance, ticket_id, idem_key, kind, method, path,"
      "  headers_json, body, capture_pointer, capture_as, state, attempts, next_attempt_ms, last_status,"
      "  last_error, created_ms, updated_ms, rate_limited FROM outbox;"
      "DROP TABLE outbox;"
      "ALTER TABLE outbox_v4 RENAME TO outbox;"
      "CREATE INDEX outbox_due ON outbox(next_attempt_ms, id) WHERE state = 0;"
      "CREATE INDEX outbox_state ON outbox(state, id);"
      "CREATE INDEX outbox_event ON outbox(event_id, seq);"
      "UPDATE schema_version SET version = 4;");
}

void DowngradeToSchema3(const std::string& path) {
  DowngradeToSchema4(path);
  ExecOnClosedDatabase(path,
      "CREATE TABLE sentiment_history(id INTEGER PRIMARY KEY, instance TEXT NOT NULL,"
      "  ticket_id TEXT NOT NULL, event_id INTEGER NOT NULL, idx INTEGER NOT NULL, compound REAL NOT NULL);"
      "CREATE UNIQUE INDEX sentiment_ticket ON sentiment_history(instance, ticket_id, event_id, idx);"
      "INSERT INTO sentiment_history(instance, ticket_id, event_id, idx, compound)"
      "  SELECT e.instance, e.ticket_id, e.id, j.key, j.value FROM events e, json_each(e.sentiment) j"
      "  WHERE e.sentiment IS NOT NULL;"
      "ALTER TABLE events DROP COLUMN sentiment;"
      "UPDATE schema_version SET version = 3;");
}

void DowngradeToSchema2(const std::string& path) {
  DowngradeToSchema3(path);
  ExecOnClosedDatabase(path,
      "ALTER TABLE events ADD COLUMN body BLOB NOT NULL DEFAULT x'';"
      "UPDATE events SET body = (SELECT b.body FROM event_bodies b WHERE b.event_id = events.id);"
      "DROP TABLE event_bodies;"
      "UPDATE schema_version SET version = 2;");
}

}  // namespace deskhook::testing
