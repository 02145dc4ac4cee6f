// Store: the inbox (append with dedupe, pending scan, lookups) and the decision log.
#include <memory>
#include <utility>

#include "host/store_impl.h"

namespace deskhook {

using store_internal::Conn;
using store_internal::Cursor;

namespace {

constexpr const char* kEventColumns =
    "SELECT id, instance, ticket_id, kind, dedupe_key, received_ms, processed_ms, b.body, "
    "meta_json, state FROM events JOIN event_bodies b ON b.event_id = events.id ";

StoredEvent ReadEvent(const Cursor& c) {
  StoredEvent e;
  e.id = c.Int(0);
  e.instance = c.Text(1);
  e.ticket_id = c.Text(2);
  e.kind = c.Text(3);
  e.dedupe_key = c.Text(4);
  e.received_ms = c.Int(5);
  e.processed_ms = c.Int(6);
  e.body = c.Text(7);
  e.meta_json = c.Text(8);
  e.state = static_cast<EventState>(c.Int(9));
  return e;
}

// Runs `sql` (a kEventColumns query) with `bind` applied and collects the rows.
template <typename Bind>
Result<std::vector<StoredEvent>> QueryEvents(store_internal::ReaderPool& readers, const char* sql, Bind bind) {
  return store_internal::QueryRows<StoredEvent>(readers, sql, bind, ReadEvent, "read events");
}

Result<int64_t> QueryCount(store_internal::ReaderPool& readers, const char* sql) {
  int64_t n = 0;
  Status st = readers.With([&](Conn& conn) {
    auto stmt = conn.Prepare(sql);
    if (!stmt.ok()) return stmt.status();
    Cursor c(*stmt);
    int rc = c.Step();
    if (rc != SQLITE_ROW) return store_internal::SqlStatus(conn.db(), rc, "count");
    n = c.Int(0);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return n;
}

// Looks up an earlier copy of `e`; 0 when there is none (or its hash is outside the window).
Result<int64_t> FindDuplicate(Conn& conn, const NewEvent& e, int64_t received_ms,
                              int64_t window_ms) {
  const char* sql = e.dedupe_by_hash
      ? "SELECT event_id, first_seen_ms FROM hash_dedupe WHERE instance = ?1 AND key = ?2"
      : "SELECT id, 0 FROM events WHERE instance = ?1 AND dedupe_key = ?2 AND by_hash = 0";
  auto stmt = conn.Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  Cursor c(*stmt);
  c.Bind(1, e.instance).Bind(2, e.dedupe_key);
  int rc = c.Step();
  if (rc == SQLITE_DONE) return int64_t{0};
  if (rc != SQLITE_ROW) return store_internal::SqlStatus(conn.db(), rc, "dedupe lookup");
  if (e.dedupe_by_hash && received_ms - c.Int(1) >= window_ms) return int64_t{0};
  return c.Int(0);
}

}  // namespace

namespace store_internal {

Result<int64_t> InsertEventRow(Conn& conn, const NewEvent& e, bool by_hash, int64_t received_ms,
                               bool unless_duplicate) {
  auto ins = conn.Prepare(
      unless_duplicate
          ? "INSERT INTO events(instance, ticket_id, kind, dedupe_key, by_hash, received_ms, meta_json) "
            "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(instance, dedupe_key) WHERE by_hash = 0 DO NOTHING"
          : "INSERT INTO events(instance, ticket_id, kind, dedupe_key, by_hash, received_ms, meta_json) "
            "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  auto body = conn.Prepare("INSERT INTO event_bodies(event_id, body) VALUES(?1, ?2)");
  if (!ins.ok()) return ins.status();
  if (!body.ok()) return body.status();
  {
    Cursor c(*ins);
    c.Bind(1, e.instance).Bind(2, e.ticket_id).Bind(3, e.kind).Bind(4, e.dedupe_key);
    c.Bind(5, int64_t{by_hash ? 1 : 0}).Bind(6, received_ms).Bind(7, e.meta_json);
    Status s = c.Run("insert event");
    if (!s.ok()) return s;
  }
  if (unless_duplicate && sqlite3_changes(conn.db()) == 0) return int64_t{0};
  const int64_t id = sqlite3_last_insert_rowid(conn.db());
  Cursor c(*body);
  c.Bind(1, id).BindBlob(2, e.body);
  Status s = c.Run("insert event body");
  if (!s.ok()) return s;
  return id;
}

}  // namespace store_internal

namespace {

Status CheckNewEvent(const NewEvent& e) {
  if (e.instance.empty()) return Status::InvalidArgument("event has no instance");
  if (e.dedupe_key.empty()) return Status::InvalidArgument("event has no dedupe key");
  return Status::Ok();
}

// The append itself, on the writer inside the batch transaction (it may run twice, see Writer::Op): an earlier copy wins, otherwise
// the event's rows (and, for a body hash, the hash's first sighting) are inserted.
Status AppendRows(Conn& conn, const NewEvent& e, int64_t received_ms, int64_t window_ms,
                  AppendResult* result) {
  if (!e.dedupe_by_hash) {
    // A platform id is unique forever: the insert itself finds a copy (its unique index is
    // searched once, not once for a lookup and again for the insert).
    auto id = store_internal::InsertEventRow(conn, e, false, received_ms, /*unless_duplicate=*/true);
    if (!id.ok()) return id.status();
    if (*id != 0) {
      *result = AppendResult{*id, false};
      return Status::Ok();
    }
    auto dup = FindDuplicate(conn, e, received_ms, window_ms);
    if (!dup.ok()) return dup.status();
    if (*dup == 0) return Status::Internal("event insert was refused as a duplicate, but no copy was found");
    *result = AppendResult{*dup, true};
    return Status::Ok();
  }
  auto dup = FindDuplicate(conn, e, received_ms, window_ms);
  if (!dup.ok()) return dup.status();
  if (*dup != 0) {
    *result = AppendResult{*dup, true};
    return Status::Ok();
  }
  auto id = store_internal::InsertEventRow(conn, e, true, received_ms);
  if (!id.ok()) return id.status();
  *result = AppendResult{*id, false};
  auto seen = conn.Prepare(
      "INSERT OR REPLACE INTO hash_dedupe(instance, key, first_seen_ms, event_id) "
      "VALUES(?1, ?2, ?3, ?4)");
  if (!seen.ok()) return seen.status();
  Cursor c(*seen);
  c.Bind(1, e.instance).Bind(2, e.dedupe_key).Bind(3, received_ms).Bind(4, result->event_id);
  return c.Run("insert hash_dedupe");
}

// What an AppendEventAsync owns until its completion has run.
struct AsyncAppend {
  NewEvent event;
  int64_t received_ms;
  int64_t window_ms;
  AppendResult result;
  std::function<void(Result<AppendResult>)> done;
};

}  // namespace

Result<AppendResult> Store::AppendEvent(const NewEvent& e) {
  if (Status s = CheckNewEvent(e); !s.ok()) return s;
  const int64_t received_ms = e.received_ms != 0 ? e.received_ms : impl_->Now();
  const int64_t window_ms = impl_->options.dedupe_window_s * 1000;
  AppendResult result;
  Status st = impl_->Submit([&](Conn& conn) { return AppendRows(conn, e, received_ms, window_ms, &result); });
  if (!st.ok()) return st;
  return result;
}

void Store::AppendEventAsync(NewEvent e, std::function<void(Result<AppendResult>)> done) {
  if (Status s = CheckNewEvent(e); !s.ok()) return done(std::move(s));
  const int64_t received_ms = e.received_ms != 0 ? e.received_ms : impl_->Now();
  auto* a = new AsyncAppend{std::move(e), received_ms, impl_->options.dedupe_window_s * 1000, {},
                            std::move(done)};
  // Both closures hold the raw pointer (small enough for std::function to keep inline). The
  // writer calls the completion exactly once when SubmitAsync succeeds and never otherwise, so
  // exactly one of the two places below deletes `a`.
  Status queued = impl_->SubmitAsync(
      [a](Conn& conn) { return AppendRows(conn, a->event, a->received_ms, a->window_ms, &a->result); },
      [a](Status st) {
        std::unique_ptr<AsyncAppend> own(a);
        if (st.ok()) {
          own->done(own->result);
        } else {
          own->done(std::move(st));
        }
      });
  if (!queued.ok()) {
    std::unique_ptr<AsyncAppend> own(a);
    own->done(std::move(queued));
  }
}

Result<std::vector<StoredEvent>> Store::PendingEvents(int64_t after_id, int limit) {
  static const std::string sql =
      std::string(kEventColumns) + "WHERE state = 0 AND id > ?1 ORDER BY id LIMIT ?2";
  return QueryEvents(impl_->readers, sql.c_str(), [&](Cursor& c) { c.Bind(1, after_id).Bind(2, int64_t{limit}); });
}

Result<StoredEvent> Store::GetEvent(int64_t id) {
  static const std::string sql = std::string(kEventColumns) + "WHERE id = ?1";
  auto rows = QueryEvents(impl_->readers, sql.c_str(), [&](Cursor& c) { c.Bind(1, id); });
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return Status::NotFound("no event " + std::to_string(id));
  return std::move(rows->front());
}

Result<std::vector<StoredEvent>> Store::EventsForTicket(const std::string& instance,
                                                        const std::string& ticket_id,
                                                        int limit) {
  static const std::string sql = std::string(kEventColumns) +
                                 "WHERE instance = ?1 AND ticket_id = ?2 ORDER BY id LIMIT ?3";
  return QueryEvents(impl_->readers, sql.c_str(), [&](Cursor& c) {
    c.Bind(1, instance).Bind(2, ticket_id).Bind(3, int64_t{limit});
  });
}

Result<std::vector<StoredEvent>> Store::RecentEvents(int limit) {
  static const std::string sql = std::string(kEventColumns) + "ORDER BY id DESC LIMIT ?1";
  return QueryEvents(impl_->readers, sql.c_str(), [&](Cursor& c) { c.Bind(1, int64_t{limit}); });
}

Result<int64_t> Store::CountEvents() {
  return QueryCount(impl_->readers, "SELECT COUNT(*) FROM events");
}

Result<int64_t> Store::CountPending() {
  return QueryCount(impl_->readers, "SELECT COUNT(*) FROM events WHERE state = 0");
}

}  // namespace deskhook
