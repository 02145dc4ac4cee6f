// Internal to the store: Store::Impl, shared by the store_*.cc files.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "host/store.h"
#include "host/store_checkpoint.h"
#include "host/store_conn.h"
#include "host/store_writer.h"

namespace deskhook {

namespace store_internal {

// Read-only connections, opened lazily up to a maximum; a caller borrows one for the length of
// a read. Thread-safe.
class ReaderPool {
 public:
  ReaderPool(std::string path, int max_readers, int busy_timeout_ms)
      : path_(std::move(path)), max_(max_readers < 1 ? 1 : max_readers),
        busy_timeout_ms_(busy_timeout_ms) {}
  // Runs `fn` on a borrowed connection. Unavailable after Close() or when none can be opened.
  Status With(const std::function<Status(Conn&)>& fn);
  // Refuses new reads, waits for the ones in progress, closes every connection.
  void Close();

 private:
  const std::string path_;
  const int max_;
  const int busy_timeout_ms_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Conn>> idle_;  // guarded by mu_
  int open_ = 0;                             // guarded by mu_
  bool closed_ = false;                      // guarded by mu_
};

int64_t SystemNowMs();

}  // namespace store_internal

class Store::Impl {
 public:
  explicit Impl(const StoreOptions& options);

  int64_t Now() const { return options.clock ? options.clock() : store_internal::SystemNowMs(); }
  // Runs `op` in the writer's next transaction; blocks until committed.
  Status Submit(const store_internal::Writer::Op& op) {
    if (!writer) return Status::Unavailable("store is closed");
    return writer->Submit(op);
  }
  // Writer::SubmitAsync: Unavailable (and `done` never called) once the store is closing.
  Status SubmitAsync(store_internal::Writer::Op op, store_internal::Writer::Done done) {
    if (!writer) return Status::Unavailable("store is closed");
    return writer->SubmitAsync(std::move(op), std::move(done));
  }
  Status WithReader(const std::function<Status(store_internal::Conn&)>& fn) {
    return readers.With(fn);
  }

  const StoreOptions options;
  // Declared before the writer: destroyed after it (the writer's connection calls its hook).
  std::unique_ptr<store_internal::Checkpointer> checkpointer;
  std::unique_ptr<store_internal::Writer> writer;  // set by Open, never reset before ~Impl
  store_internal::ReaderPool readers;
  std::mutex close_mu;
  bool closed = false;  // guarded by close_mu
};

namespace store_internal {
// Creates or migrates the schema on the writer connection (store_schema.cc).
Status MigrateSchema(Conn& conn);
// Writer-side helpers shared by CommitProcessed, AppendLog and the outbox (run inside an op).
Status InsertLog(Conn& conn, const std::vector<LogEntry>& entries);
// events.sentiment: "[c1,c2,...]", each compound in its shortest exact decimal form.
std::string CompoundsText(const std::vector<double>& compounds);
// Appends the compounds of `text` (CompoundsText's form) to `out`; false if it is not that form.
bool ParseCompounds(std::string_view text, std::vector<double>* out);
// Inserts the event's row and its body (two tables: see migration 3); returns the new id.
// `unless_duplicate` (platform ids only, REQUIRES !by_hash): an event with the same instance and
// key is not an error; nothing is inserted and 0 is returned.
Result<int64_t> InsertEventRow(Conn& conn, const NewEvent& e, bool by_hash, int64_t received_ms,
                               bool unless_duplicate = false);
Status KvSetRow(Conn& conn, const std::string& script, const std::string& key, const std::string& value,
                int64_t expires_ms);
Result<int64_t> KvIncrRow(Conn& conn, const std::string& script, const std::string& key, int64_t by,
                          int64_t expires_ms_if_new, int64_t now_ms);
// In order; an increment of a value that is not an integer is skipped (the script saw the error).
Status ApplyKvWrites(Conn& conn, const std::vector<KvWrite>& writes, int64_t now_ms);
Status InsertOutboxCall(Conn& conn, int64_t event_id, int seq, const std::string& instance,
                        const std::string& ticket_id, const ApiCall& call, int64_t now_ms);
// Deletes expired body-hash dedupe rows and kv entries, and (retention_ms > 0) processed events
// older than retention_ms with what was recorded for them; bounded work per call.
Status PruneExpired(Conn& conn, int64_t now_ms, int64_t dedupe_window_ms, int64_t retention_ms);

// Runs `sql` on a reader with `bind` applied and turns each row into a T with `read_row`.
template <typename T, typename Bind, typename ReadRow>
Result<std::vector<T>> QueryRows(ReaderPool& readers, const char* sql, Bind bind, ReadRow read_row,
                                 const char* what) {
  std::vector<T> out;
  Status st = readers.With([&](Conn& conn) {
    auto stmt = conn.Prepare(sql);
    if (!stmt.ok()) return stmt.status();
    Cursor c(*stmt);
    bind(c);
    int rc;
    while ((rc = c.Step()) == SQLITE_ROW) out.push_back(read_row(c));
    return SqlStatus(conn.db(), rc, what);
  });
  if (!st.ok()) return st;
  return out;
}
}  // namespace store_internal

}  // namespace deskhook
