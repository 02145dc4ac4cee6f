// The durable store: one SQLite database in WAL mode. All writes go through one writer thread
// that groups many operations into one transaction (group commit); callers block until their
// operation is committed (or failed), except AppendEventAsync, which calls back. Reads use their
// own connections and never block writes.
//
// Thread-safety: every method may be called from any thread. A callback that runs on the writer
// thread must not call a blocking write (it would wait for itself); reads are fine.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "connectors/model/api_call.h"
#include "connectors/model/status.h"

struct sqlite3;

namespace deskhook {

struct StoreOptions {
  std::string path;                 // database file; ":memory:" is not allowed (WAL, readers)
  int max_batch = 256;              // operations per transaction at most
  int64_t dedupe_window_s = 86400;  // body-hash dedupe window when the platform gives no id
  // Processed events older than this (by receipt) are deleted with their decision log,
  // sentiment history and finished outbox calls (done, dead or dropped), at most 200 events per
  // maintenance run (every 5 s). An event with a call still pending is kept. 0 = keep everything.
  int64_t retention_days = 90;
  // true: fsync the WAL at every commit; an acknowledged event survives power loss (default).
  // false: SQLite's synchronous=NORMAL; a commit still survives kill -9 of the process, but the
  // last commits before a power loss or kernel crash may be lost (the database stays sound).
  bool synchronous_full = true;
  // The WAL is copied into the database (on its own thread) once it holds this many pages
  // (4 KB each). Larger: a page written often is copied once per checkpoint, not once per
  // 16 MB; the WAL file grows to this size first (and back to 64 MB after the copy).
  int checkpoint_pages = 4000;
  int max_readers = 8;              // read-only connections at most (opened lazily)
  int busy_timeout_ms = 5000;       // wait this long for a lock held by another process
  // Testing aid: PRAGMA max_page_count on the writer (0 = unlimited); simulates a full disk.
  int64_t max_page_count = 0;
  // Wall clock in ms since the epoch; empty = the system clock. Used for the dedupe window
  // when received_ms is 0, KvIncr expiry, outbox updated_ms and pruning. Tests may fake it.
  std::function<int64_t()> clock;
};

// Writer figures since Open (for metrics and the bench).
struct StoreStats {
  int64_t commits = 0;         // transactions committed
  int64_t ops = 0;             // operations that ran in committed or failed transactions
  int64_t failed_batches = 0;  // BEGIN or COMMIT failed: every op of the batch got Unavailable
  int64_t replayed_batches = 0;  // an op failed, so the batch ran again with a savepoint per op
  int64_t max_batch_seen = 0;  // largest batch so far
  int64_t checkpoints = 0;     // WAL checkpoints run (store.checkpoint_pages apart)
  int64_t wal_restarts = 0;    // times the WAL was started over from its beginning after one
};

struct NewEvent {
  std::string instance;
  std::string ticket_id;
  std::string kind;         // EventKindName
  std::string dedupe_key;   // platform delivery id, or "sha256:<hex of body>" when none
  // dedupe_key is a body hash: a duplicate only when received within dedupe_window_s of the
  // first one (measured on received_ms). Platform ids dedupe forever.
  bool dedupe_by_hash = false;
  int64_t received_ms = 0;  // 0 = now (the store's clock)
  std::string body;         // the raw body exactly as received
  std::string meta_json;    // non-secret request facts (delivery id, topic, signature timestamp)
};

struct AppendResult {
  int64_t event_id = 0;     // id of the stored event (the earlier one for a duplicate)
  bool duplicate = false;
};

enum class EventState { kPending = 0, kDone = 1, kFailed = 2, kSkipped = 3 };

struct StoredEvent {
  int64_t id = 0;
  std::string instance, ticket_id, kind, dedupe_key;
  int64_t received_ms = 0, processed_ms = 0;
  std::string body, meta_json;
  EventState state = EventState::kPending;
};

// One decision-log entry: `stage` is "ingest", "sentiment", "script", "decision", "delivery",
// "override", ...; `record_json` is a JSON object.
struct LogEntry {
  int64_t event_id = 0;
  std::string stage;
  std::string record_json;
  int64_t time_ms = 0;
};

enum class OutboxState { kPending = 0, kDone = 1, kDead = 2, kDropped = 3 };
std::string_view OutboxStateName(OutboxState s);  // "pending", "done", "dead", "dropped"

struct OutboxItem {
  int64_t id = 0;
  int64_t event_id = 0;
  int seq = 0;              // position among the event's calls
  std::string instance, ticket_id;
  ApiCall call;
  OutboxState state = OutboxState::kPending;
  int attempts = 0;
  int rate_limited = 0;     // 429 answers so far (they do not count as attempts)
  int64_t next_attempt_ms = 0;
  int last_status = 0;
  std::string last_error;
  int64_t created_ms = 0, updated_ms = 0;
};

// A script's ctx.kv write, applied when the event that made it commits.
struct KvWrite {
  std::string script, key;
  bool incr = false;
  std::string value;       // set: the new value
  int64_t by = 0;          // incr: added to the stored integer (0 when absent or expired)
  int64_t expires_ms = 0;  // set: expiry (0 = never); incr: expiry if the key is created
};

// What processing one event produced, written atomically with the event's state change.
struct ProcessedEvent {
  int64_t event_id = 0;
  EventState state = EventState::kDone;
  int64_t processed_ms = 0;
  std::vector<LogEntry> log;
  std::vector<ApiCall> calls;  // become outbox items (seq = index); duplicates by key ignored
  // Customer sentiment of this event's messages, recorded in the event's row with its state
  // (the ticket's history is read from those rows); an event processed again keeps the first.
  std::vector<double> sentiment;
  // Scripts' ctx.kv writes, in order: committed with the event, so an event processed again
  // after a crash does not count twice.
  std::vector<KvWrite> kv;
};

class Store {
 public:
  static Result<std::unique_ptr<Store>> Open(const StoreOptions& options);
  ~Store();  // Close()

  // Stops accepting writes (new ones get Unavailable), drains and commits the queued ones,
  // closes the readers (waits for reads in progress), checkpoints the WAL (TRUNCATE), closes.
  // Afterwards every method returns Unavailable. Idempotent.
  void Close();

  // Inbox. Blocks until committed. Unavailable when the database cannot accept (disk full,
  // locked, closing): the HTTP layer answers 503 so the platform retries.
  Result<AppendResult> AppendEvent(const NewEvent& event);
  // AppendEvent without blocking: `done` is called exactly once with what AppendEvent would
  // have returned. On the writer thread, after the transaction holding the event committed (or
  // failed), in submission order among one transaction's appends; or inline, on the caller's
  // thread before this returns, when the event is invalid (InvalidArgument) or the store is
  // closing or closed (Unavailable). `done` should be quick: the writer's next batch waits for
  // it. On the writer thread an exception from it is logged and ignored.
  void AppendEventAsync(NewEvent event, std::function<void(Result<AppendResult>)> done);

  // Events not yet processed, in id order, with id > after_id.
  Result<std::vector<StoredEvent>> PendingEvents(int64_t after_id, int limit);
  Result<StoredEvent> GetEvent(int64_t id);
  // Oldest first.
  Result<std::vector<StoredEvent>> EventsForTicket(const std::string& instance,
                                                   const std::string& ticket_id, int limit);
  Result<std::vector<StoredEvent>> RecentEvents(int limit);  // newest first
  Result<int64_t> CountEvents();
  Result<int64_t> CountPending();

  // Marks the event processed and records its log and outbox calls in one transaction.
  // NotFound when the event does not exist (then nothing is written). Log seq numbers continue
  // after the event's existing entries; outbox items get state pending, next_attempt_ms =
  // processed_ms; a call whose idempotency_key the event already has in the outbox is skipped
  // (an empty key is never deduplicated). Keys are per event: connectors derive them from it.
  Status CommitProcessed(const ProcessedEvent& processed);
  // Several events in one operation (one transaction, one fsync). All or nothing: on error
  // none is committed and the caller may retry them one by one.
  Status CommitProcessedBatch(const std::vector<ProcessedEvent>& batch);
  // An event deskhook makes itself (a person's override, an approved FAQ draft): stored already
  // processed, with its log and outbox calls, in one transaction; the pipeline never sees it.
  // `processed.event_id` and the log entries' event_id are filled in. Returns the new id.
  Result<int64_t> RecordInternalEvent(const NewEvent& event, ProcessedEvent processed);
  Status AppendLog(const std::vector<LogEntry>& entries);
  Result<std::vector<LogEntry>> LogFor(int64_t event_id);  // in seq order

  // Outbox.
  Result<std::vector<OutboxItem>> DueOutbox(int64_t now_ms, int limit);  // pending, due, id order
  // In id order (oldest first); all states when `state` is empty.
  Result<std::vector<OutboxItem>> ListOutbox(std::optional<OutboxState> state, int limit);
  Result<OutboxItem> GetOutbox(int64_t id);
  Result<std::vector<OutboxItem>> OutboxForEvent(int64_t event_id);  // in seq order
  // Writes state, attempts, rate_limited, next_attempt_ms, last_status, last_error and
  // updated_ms (now when item.updated_ms is 0) of item.id. NotFound for an unknown id.
  Status UpdateOutbox(const OutboxItem& item);
  // UpdateOutbox for each of `items` (an unknown id is skipped) and AppendLog(`log`), in one
  // write: how the delivery engine records a batch of finished attempts.
  Status SaveOutboxResults(const std::vector<OutboxItem>& items, const std::vector<LogEntry>& log);
  Status SetOutboxVar(int64_t event_id, const std::string& name, const std::string& value);
  Result<std::vector<std::pair<std::string, std::string>>> OutboxVars(int64_t event_id);  // by name

  // Per-ticket customer sentiment history (compound per customer message, oldest first: in
  // event id order, then position), read from the events' rows.
  Result<std::vector<double>> SentimentHistory(const std::string& instance,
                                               const std::string& ticket_id);
  // SentimentHistory of several (instance, ticket_id) pairs in one read transaction: out[i] is
  // the history of tickets[i].
  Result<std::vector<std::vector<double>>> SentimentHistories(
      const std::vector<std::pair<std::string, std::string>>& tickets);
  // Records `compounds` as the sentiment of stored event `event_id` (CommitProcessed does the
  // same with ProcessedEvent::sentiment). The first recorded stays: a second call is a no-op.
  // NotFound when there is no such event.
  Status AppendSentiment(int64_t event_id, const std::vector<double>& compounds);

  // Script key-value store (ctx.kv).
  Result<std::optional<std::string>> KvGet(const std::string& script, const std::string& key,
                                           int64_t now_ms);
  Status KvSet(const std::string& script, const std::string& key, const std::string& value,
               int64_t expires_ms);  // 0 = never
  // Adds `by` to the integer value (a missing or expired key counts as 0 and gets
  // expires_ms_if_new; an existing key keeps its expiry). InvalidArgument when the stored
  // value is not an integer. Returns the new value.
  Result<int64_t> KvIncr(const std::string& script, const std::string& key, int64_t by,
                         int64_t expires_ms_if_new);

  // Generic write through the group-commit writer, for modules with their own tables
  // (FAQ index). `fn` runs on the writer thread inside a transaction; a non-OK result undoes
  // only its own writes. REQUIRES: `fn` may run more than once before it commits (see
  // store_internal::Writer::Op): it touches only the database and sets its outputs by assignment.
  Status Write(std::function<Status(sqlite3*)> fn);
  // Generic read on a reader connection.
  Status Read(const std::function<Status(sqlite3*)>& fn);

  // True when a trivial write commits (readiness probe).
  Status CheckWritable();

  StoreStats Stats() const;

 private:
  class Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace deskhook
