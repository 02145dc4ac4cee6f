// Schema creation and migration. Each migration runs once, in its own transaction, and bumps
// schema_version; a database written by a newer deskhook is refused.
#include <string>

#include "host/store_impl.h"

namespace deskhook::store_internal {
namespace {

// Append only: never edit a migration that has shipped.
const char* const kMigrations[] = {
    // 1: the inbox, decision log, outbox, sentiment history, script kv, heartbeat.
    R"sql(
CREATE TABLE events(
  id INTEGER PRIMARY KEY,
  instance TEXT NOT NULL,
  ticket_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  dedupe_key TEXT NOT NULL,
  by_hash INTEGER NOT NULL DEFAULT 0,
  received_ms INTEGER NOT NULL,
  body BLOB NOT NULL,
  meta_json TEXT NOT NULL DEFAULT '',
  state INTEGER NOT NULL DEFAULT 0,
  processed_ms INTEGER NOT NULL DEFAULT 0);
-- Platform delivery ids are unique forever; body hashes only within the window (hash_dedupe).
CREATE UNIQUE INDEX events_platform_key ON events(instance, dedupe_key) WHERE by_hash = 0;
CREATE INDEX events_pending ON events(id) WHERE state = 0;
CREATE INDEX events_ticket ON events(instance, ticket_id, id);

CREATE TABLE hash_dedupe(
  instance TEXT NOT NULL,
  key TEXT NOT NULL,
  first_seen_ms INTEGER NOT NULL,
  event_id INTEGER NOT NULL,
  PRIMARY KEY(instance, key)) WITHOUT ROWID;
CREATE INDEX hash_dedupe_age ON hash_dedupe(first_seen_ms);

CREATE TABLE decision_log(
  id INTEGER PRIMARY KEY,
  event_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  stage TEXT NOT NULL,
  record_json TEXT NOT NULL,
  time_ms INTEGER NOT NULL);
CREATE UNIQUE INDEX decision_log_event ON decision_log(event_id, seq);

CREATE TABLE outbox(
  id INTEGER PRIMARY KEY,
  event_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  instance TEXT NOT NULL,
  ticket_id TEXT NOT NULL,
  idem_key TEXT UNIQUE,  -- NULL when the call has no key
  kind TEXT NOT NULL,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  headers_json TEXT NOT NULL,
  body BLOB NOT NULL,
  capture_pointer TEXT NOT NULL,
  capture_as TEXT NOT NULL,
  state INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms INTEGER NOT NULL DEFAULT 0,
  last_status INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL);
CREATE INDEX outbox_due ON outbox(next_attempt_ms, id) WHERE state = 0;
CREATE INDEX outbox_state ON outbox(state, id);
CREATE INDEX outbox_event ON outbox(event_id, seq);

CREATE TABLE outbox_vars(
  event_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY(event_id, name)) WITHOUT ROWID;

CREATE TABLE sentiment_history(
  id INTEGER PRIMARY KEY,
  instance TEXT NOT NULL,
  ticket_id TEXT NOT NULL,
  event_id INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  compound REAL NOT NULL);
CREATE UNIQUE INDEX sentiment_ticket ON sentiment_history(instance, ticket_id, event_id, idx);

CREATE TABLE kv(
  script TEXT NOT NULL,
  key TEXT NOT NULL,
  value BLOB NOT NULL,
  expires_ms INTEGER NOT NULL DEFAULT 0,  -- 0 = never
  PRIMARY KEY(script, key)) WITHOUT ROWID;
CREATE INDEX kv_expiry ON kv(expires_ms) WHERE expires_ms > 0;

CREATE TABLE heartbeat(id INTEGER PRIMARY KEY CHECK (id = 1), time_ms INTEGER NOT NULL);
)sql",
    // 2: an item's count of 429 answers survives a restart (the cap is per item, not per run).
    R"sql(
ALTER TABLE outbox ADD COLUMN rate_limited INTEGER NOT NULL DEFAULT 0;
)sql",
    // 3: webhook bodies in their own table. An event's row is rewritten when it is processed;
    // with the ~1 KB body inside, that rewrote ~4x as many pages (measured with
    // bench/store/wal_census.py). Bodies never change after the insert.
    R"sql(
CREATE TABLE event_bodies(event_id INTEGER PRIMARY KEY, body BLOB NOT NULL);
INSERT INTO event_bodies(event_id, body) SELECT id, body FROM events;
ALTER TABLE events DROP COLUMN body;
)sql",
    // 4: an event's sentiment (one compound per customer message, "[-0.48,0.1]") in its own
    // row, written by the update that marks it processed. The separate table's per-ticket index
    // cost a randomly placed page write per event (bench/store/wal_census.py).
    R"sql(
ALTER TABLE events ADD COLUMN sentiment TEXT;
CREATE INDEX sentiment_by_event ON sentiment_history(event_id, idx);  -- else a scan per event
UPDATE events SET sentiment = (SELECT json_group_array(compound) FROM
    (SELECT compound FROM sentiment_history s WHERE s.event_id = events.id ORDER BY s.idx))
  WHERE id IN (SELECT event_id FROM sentiment_history);
DROP TABLE sentiment_history;
)sql",
    // 5: a call's idempotency key is unique per event, not across the outbox. Keys are derived
    // from the event (its id, or an internal event's unique key), so no two events share one;
    // a global index on a hash put every insert on a random page (bench/store/wal_census.py
    // --e2e), one scoped by event_id appends. Dropping a column's UNIQUE needs a new table.
    R"sql(
CREATE TABLE outbox_v5(
  id INTEGER PRIMARY KEY,
  event_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  instance TEXT NOT NULL,
  ticket_id TEXT NOT NULL,
  idem_key TEXT,  -- NULL when the call has no key
  kind TEXT NOT NULL,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  headers_json TEXT NOT NULL,
  body BLOB NOT NULL,
  capture_pointer TEXT NOT NULL,
  capture_as TEXT NOT NULL,
  state INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms INTEGER NOT NULL DEFAULT 0,
  last_status INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  rate_limited INTEGER NOT NULL DEFAULT 0);
INSERT INTO outbox_v5(id, event_id, seq, instance, ticket_id, idem_key, kind, method, path,
    headers_json, body, capture_pointer, capture_as, state, attempts, next_attempt_ms,
    last_status, last_error, created_ms, updated_ms, rate_limited)
  SELECT id, event_id, seq, instance, ticket_id, idem_key, kind, method, path, headers_json, body,
    capture_pointer, capture_as, state, attempts, next_attempt_ms, last_status, last_error,
    created_ms, updated_ms, rate_limited FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v5 RENAME TO outbox;
CREATE INDEX outbox_due ON outbox(next_attempt_ms, id) WHERE state = 0;
CREATE INDEX outbox_state ON outbox(state, id);
CREATE INDEX outbox_event ON outbox(event_id, seq);
CREATE UNIQUE INDEX outbox_idem ON outbox(event_id, idem_key);
)sql",
};

constexpr int kLatestVersion = static_cast<int>(sizeof(kMigrations) / sizeof(kMigrations[0]));

Result<int> CurrentVersion(Conn& conn) {
  Status st = conn.Exec("CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL);");
  if (!st.ok()) return st;
  auto stmt = conn.Prepare("SELECT MAX(version) FROM schema_version");
  if (!stmt.ok()) return stmt.status();
  Cursor c(*stmt);
  int rc = c.Step();
  if (rc != SQLITE_ROW) return SqlStatus(conn.db(), rc, "read schema_version");
  return c.IsNull(0) ? 0 : static_cast<int>(c.Int(0));
}

}  // namespace

Status MigrateSchema(Conn& conn) {
  auto version = CurrentVersion(conn);
  if (!version.ok()) return version.status();
  if (*version > kLatestVersion) {
    return Status::Internal("database schema version " + std::to_string(*version) +
                            " is newer than this deskhook (" + std::to_string(kLatestVersion) +
                            ")");
  }
  for (int v = *version; v < kLatestVersion; ++v) {
    Status st = conn.Exec("BEGIN IMMEDIATE;");
    if (st.ok()) st = conn.Exec(kMigrations[v]);
    if (st.ok()) {
      std::string bump = "DELETE FROM schema_version; INSERT INTO schema_version VALUES(" +
                         std::to_string(v + 1) + ");";
      st = conn.Exec(bump.c_str());
    }
    if (st.ok()) st = conn.Exec("COMMIT;");
    if (!st.ok()) {
      if (!sqlite3_get_autocommit(conn.db())) conn.Exec("ROLLBACK;");
      return Status(st.code() == Code::kAlreadyExists ? Status::Internal(st.message()) : st);
    }
  }
  return Status::Ok();
}

namespace {

// Deletes up to 200 processed events received before `cutoff_ms` and everything recorded for
// them. An event with a call still pending or dead-lettered stays: a dead letter leaves only when
// an admin retries it (and it is delivered) or drops it, never silently by age. The candidates go to a temp table first so every delete
// names the same events.
Status PruneOldEvents(Conn& conn, int64_t cutoff_ms) {
  const char* const kSteps[] = {
      "CREATE TEMP TABLE IF NOT EXISTS prune_ids(id INTEGER PRIMARY KEY)",
      "DELETE FROM prune_ids",
      "INSERT INTO prune_ids SELECT e.id FROM events e WHERE e.received_ms < ?1 AND e.state <> 0 "
      "AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.event_id = e.id AND o.state IN (0, 2)) "
      "ORDER BY e.id LIMIT 200",
      "DELETE FROM decision_log WHERE event_id IN (SELECT id FROM prune_ids)",
      "DELETE FROM outbox_vars WHERE event_id IN (SELECT id FROM prune_ids)",
      "DELETE FROM outbox WHERE event_id IN (SELECT id FROM prune_ids)",
      "DELETE FROM event_bodies WHERE event_id IN (SELECT id FROM prune_ids)",
      "DELETE FROM events WHERE id IN (SELECT id FROM prune_ids)",
  };
  for (const char* sql : kSteps) {
    auto stmt = conn.Prepare(sql);
    if (!stmt.ok()) return stmt.status();
    Cursor c(*stmt);
    if (sqlite3_bind_parameter_count(stmt.value()) > 0) c.Bind(1, cutoff_ms);
    Status st = c.Run("prune old events");
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

}  // namespace

Status PruneExpired(Conn& conn, int64_t now_ms, int64_t dedupe_window_ms, int64_t retention_ms) {
  if (retention_ms > 0) {
    if (Status st = PruneOldEvents(conn, now_ms - retention_ms); !st.ok()) return st;
  }
  constexpr const char* kPruneHashes =
      "DELETE FROM hash_dedupe WHERE (instance, key) IN (SELECT instance, key FROM hash_dedupe "
      "WHERE first_seen_ms < ?1 LIMIT 5000)";
  constexpr const char* kPruneKv =
      "DELETE FROM kv WHERE (script, key) IN (SELECT script, key FROM kv "
      "WHERE expires_ms > 0 AND expires_ms <= ?1 LIMIT 5000)";
  auto hashes = conn.Prepare(kPruneHashes);
  if (!hashes.ok()) return hashes.status();
  {
    Cursor c(*hashes);
    c.Bind(1, now_ms - dedupe_window_ms);
    Status st = c.Run("prune hash_dedupe");
    if (!st.ok()) return st;
  }
  auto kv = conn.Prepare(kPruneKv);
  if (!kv.ok()) return kv.status();
  Cursor c(*kv);
  c.Bind(1, now_ms);
  return c.Run("prune kv");
}

}  // namespace deskhook::store_internal
