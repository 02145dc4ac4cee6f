// Store: the decision log, and committing an event's processing results atomically.
#include "host/store_impl.h"

namespace deskhook {

using store_internal::Conn;
using store_internal::Cursor;

namespace store_internal {

Status InsertLog(Conn& conn, const std::vector<LogEntry>& entries) {
  // seq continues after the event's last entry; the (event_id, seq) index answers MAX quickly.
  auto next = conn.Prepare("SELECT COALESCE(MAX(seq) + 1, 0) FROM decision_log WHERE event_id = ?1");
  auto ins = conn.Prepare(
      "INSERT INTO decision_log(event_id, seq, stage, record_json, time_ms) "
      "VALUES(?1, ?2, ?3, ?4, ?5)");
  if (!next.ok()) return next.status();
  if (!ins.ok()) return ins.status();
  int64_t seq = 0;
  const LogEntry* prev = nullptr;
  for (const LogEntry& e : entries) {
    if (e.stage.empty()) return Status::InvalidArgument("log entry has no stage");
    if (prev != nullptr && prev->event_id == e.event_id) {
      ++seq;  // entries of one event usually come together: one MAX lookup for the run
    } else {
      Cursor c(*next);
      c.Bind(1, e.event_id);
      int rc = c.Step();
      if (rc != SQLITE_ROW) return SqlStatus(conn.db(), rc, "next log seq");
      seq = c.Int(0);
    }
    prev = &e;
    Cursor c(*ins);
    c.Bind(1, e.event_id).Bind(2, seq).Bind(3, e.stage).Bind(4, e.record_json).Bind(5, e.time_ms);
    Status st = c.Run("insert log");
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

}  // namespace store_internal

namespace {

Status ValidateProcessed(const ProcessedEvent& p) {
  for (const LogEntry& e : p.log) {
    if (e.event_id != p.event_id) {
      return Status::InvalidArgument("log entry for event " + std::to_string(e.event_id) +
                                     " in the commit of event " + std::to_string(p.event_id));
    }
  }
  return Status::Ok();
}

// Runs on the writer thread inside the caller's operation (which may run twice: Writer::Op).
Status CommitOne(Conn& conn, const ProcessedEvent& p, int64_t now) {
  const int64_t processed_ms = p.processed_ms != 0 ? p.processed_ms : now;
  std::string instance, ticket_id;
  {
    // The first sentiment recorded for an event stays (reprocessing does not rewrite history).
    auto upd = conn.Prepare(
        "UPDATE events SET state = ?2, processed_ms = ?3, sentiment = COALESCE(sentiment, ?4) "
        "WHERE id = ?1 RETURNING instance, ticket_id");
    if (!upd.ok()) return upd.status();
    const std::string sentiment = store_internal::CompoundsText(p.sentiment);  // outlives `c`
    Cursor c(*upd);
    c.Bind(1, p.event_id).Bind(2, static_cast<int64_t>(p.state)).Bind(3, processed_ms);
    if (p.sentiment.empty()) {
      c.BindNull(4);
    } else {
      c.Bind(4, sentiment);
    }
    int rc = c.Step();
    if (rc == SQLITE_DONE) return Status::NotFound("no event " + std::to_string(p.event_id));
    if (rc != SQLITE_ROW) return store_internal::SqlStatus(conn.db(), rc, "update event");
    instance = c.Text(0);
    ticket_id = c.Text(1);
    rc = c.Step();  // finish the statement so the update completes
    if (rc != SQLITE_DONE) return store_internal::SqlStatus(conn.db(), rc, "update event");
  }
  Status st = store_internal::InsertLog(conn, p.log);
  if (!st.ok()) return st;
  for (size_t i = 0; i < p.calls.size(); ++i) {
    st = store_internal::InsertOutboxCall(conn, p.event_id, static_cast<int>(i), instance, ticket_id,
                                          p.calls[i], processed_ms);
    if (!st.ok()) return st;
  }
  if (!p.kv.empty()) {
    st = store_internal::ApplyKvWrites(conn, p.kv, now);
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

}  // namespace

Status Store::CommitProcessed(const ProcessedEvent& p) {
  if (Status st = ValidateProcessed(p); !st.ok()) return st;
  const int64_t now = impl_->Now();
  return impl_->Submit([&](Conn& conn) -> Status { return CommitOne(conn, p, now); });
}

Status Store::CommitProcessedBatch(const std::vector<ProcessedEvent>& batch) {
  if (batch.empty()) return Status::Ok();
  for (const auto& p : batch) {
    if (Status st = ValidateProcessed(p); !st.ok()) return st;
  }
  const int64_t now = impl_->Now();
  return impl_->Submit([&](Conn& conn) -> Status {
    for (const auto& p : batch) {
      if (Status st = CommitOne(conn, p, now); !st.ok()) return st;
    }
    return Status::Ok();
  });
}

Result<int64_t> Store::RecordInternalEvent(const NewEvent& e, ProcessedEvent p) {
  if (e.instance.empty() || e.dedupe_key.empty()) return Status::InvalidArgument("internal event needs instance and key");
  const int64_t now = impl_->Now();
  int64_t id = 0;
  Status st = impl_->Submit([&](Conn& conn) -> Status {
    auto inserted = store_internal::InsertEventRow(conn, e, /*by_hash=*/false,
                                                   e.received_ms != 0 ? e.received_ms : now);
    if (!inserted.ok()) return inserted.status();
    id = *inserted;
    p.event_id = id;
    for (auto& l : p.log) l.event_id = id;
    return CommitOne(conn, p, now);
  });
  if (!st.ok()) return st;
  return id;
}

Status Store::AppendLog(const std::vector<LogEntry>& entries) {
  if (entries.empty()) return Status::Ok();
  return impl_->Submit([&](Conn& conn) { return store_internal::InsertLog(conn, entries); });
}

Result<std::vector<LogEntry>> Store::LogFor(int64_t event_id) {
  std::vector<LogEntry> out;
  Status st = impl_->WithReader([&](Conn& conn) {
    auto stmt = conn.Prepare(
        "SELECT stage, record_json, time_ms FROM decision_log WHERE event_id = ?1 ORDER BY seq");
    if (!stmt.ok()) return stmt.status();
    Cursor c(*stmt);
    c.Bind(1, event_id);
    int rc;
    while ((rc = c.Step()) == SQLITE_ROW) {
      out.push_back(LogEntry{event_id, c.Text(0), c.Text(1), c.Int(2)});
    }
    return store_internal::SqlStatus(conn.db(), rc, "read log");
  });
  if (!st.ok()) return st;
  return out;
}

}  // namespace deskhook
