// Store: open (pragmas, schema, writer thread), close, generic read/write, readiness probe.
#include "host/store.h"

#include <chrono>
#include <string>

#include "host/store_impl.h"

namespace deskhook {

using store_internal::Conn;
using store_internal::Cursor;
using store_internal::Writer;

namespace store_internal {

int64_t SystemNowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

Status ReaderPool::With(const std::function<Status(Conn&)>& fn) {
  std::unique_ptr<Conn> conn;
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return closed_ || !idle_.empty() || open_ < max_; });
    if (closed_) return Status::Unavailable("store is closed");
    if (!idle_.empty()) {
      conn = std::move(idle_.back());
      idle_.pop_back();
    } else {
      ++open_;  // reserve the slot; open outside the lock
    }
  }
  if (!conn) {
    auto opened = Conn::Open(path_, /*writer=*/false, busy_timeout_ms_);
    if (!opened.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      --open_;
      cv_.notify_all();
      return opened.status();
    }
    conn = std::move(opened).value();
  }
  Status st = fn(*conn);
  // Leave no read transaction open: it would pin the WAL and block checkpoints.
  if (!sqlite3_get_autocommit(conn->db())) conn->Exec("ROLLBACK;");
  std::lock_guard<std::mutex> lock(mu_);
  idle_.push_back(std::move(conn));
  cv_.notify_all();
  return st;
}

void ReaderPool::Close() {
  std::unique_lock<std::mutex> lock(mu_);
  closed_ = true;
  cv_.notify_all();
  // Wait for borrowed connections to come back.
  cv_.wait(lock, [this] { return static_cast<int>(idle_.size()) == open_; });
  idle_.clear();
  open_ = 0;
}

}  // namespace store_internal

std::string_view OutboxStateName(OutboxState s) {
  switch (s) {
    case OutboxState::kPending: return "pending";
    case OutboxState::kDone: return "done";
    case OutboxState::kDead: return "dead";
    case OutboxState::kDropped: return "dropped";
  }
  return "unknown";
}

Store::Impl::Impl(const StoreOptions& opts)
    : options(opts), readers(opts.path, opts.max_readers, opts.busy_timeout_ms) {}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Store::~Store() { Close(); }

namespace {

Status ConfigureWriter(Conn& conn, const StoreOptions& o) {
  // journal_mode answers with the mode in effect; anything but "wal" means it did not switch.
  auto stmt = conn.Prepare("PRAGMA journal_mode = WAL");
  if (!stmt.ok()) return stmt.status();
  {
    Cursor c(*stmt);
    int rc = c.Step();
    if (rc != SQLITE_ROW) return store_internal::SqlStatus(conn.db(), rc, "journal_mode");
    if (c.Text(0) != "wal") return Status::Unavailable("cannot switch the store to WAL mode");
  }
  std::string pragmas = "PRAGMA synchronous = ";
  pragmas += o.synchronous_full ? "FULL;" : "NORMAL;";
  // journal_size_limit: after a burst, the reused WAL file is cut back to 64 MB.
  pragmas +=
      "PRAGMA foreign_keys = OFF; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -8000;"
      "PRAGMA journal_size_limit = 67108864;";
  if (o.max_page_count > 0) {
    pragmas += "PRAGMA max_page_count = " + std::to_string(o.max_page_count) + ";";
  }
  return conn.Exec(pragmas.c_str());
}

}  // namespace

Result<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  if (options.path.empty() || options.path == ":memory:" ||
      options.path.rfind("file::memory:", 0) == 0) {
    return Status::InvalidArgument("store path must name a file (WAL needs one)");
  }
  if (options.max_batch < 1) return Status::InvalidArgument("store max_batch must be >= 1");
  if (options.checkpoint_pages < 1) return Status::InvalidArgument("store checkpoint_pages must be >= 1");
  if (options.dedupe_window_s < 0) return Status::InvalidArgument("dedupe_window_s < 0");
  auto impl = std::make_unique<Impl>(options);
  auto conn = Conn::Open(options.path, /*writer=*/true, options.busy_timeout_ms);
  if (!conn.ok()) return conn.status();
  Status st = ConfigureWriter(**conn, options);
  if (st.ok()) st = store_internal::MigrateSchema(**conn);
  if (!st.ok()) return st;

  // Checkpoints every checkpoint_pages (default ~16 MB of WAL), off the writer thread: fewer,
  // larger checkpoints copy a hot page (index leaves, a table's last leaf) once, not many times.
  auto checkpointer = store_internal::Checkpointer::Start(options.path, (*conn)->db(), options.checkpoint_pages,
                                                          options.busy_timeout_ms);
  if (!checkpointer.ok()) return checkpointer.status();
  impl->checkpointer = std::move(checkpointer).value();

  Impl* raw = impl.get();
  const int64_t window_ms = options.dedupe_window_s * 1000;
  const int64_t retention_ms = options.retention_days * 86'400'000;
  Writer::Op prune = [raw, window_ms, retention_ms](Conn& c) {
    return store_internal::PruneExpired(c, raw->Now(), window_ms, retention_ms);
  };
  // Every 5 s, a small bounded prune (200 old events at most: ~40 events/s, 3.4 M a day) rides
  // along with a write batch; small steps keep that batch's commit from stalling.
  impl->writer = std::make_unique<Writer>(std::move(conn).value(), options.max_batch,
                                          std::move(prune), /*interval_ms=*/5'000,
                                          [raw] { return raw->Now(); });
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

void Store::Close() {
  std::lock_guard<std::mutex> lock(impl_->close_mu);
  if (impl_->closed) return;
  impl_->closed = true;
  impl_->writer->Stop();   // refuses new writes, commits the queued ones
  impl_->checkpointer->Stop();
  impl_->checkpointer->CloseConnection();
  impl_->readers.Close();  // readers must be gone for a TRUNCATE checkpoint
  sqlite3* db = impl_->writer->conn()->db();
  sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  impl_->writer->CloseConnection();  // the last connection: SQLite removes the empty WAL
}

Status Store::Write(std::function<Status(sqlite3*)> fn) {
  return impl_->Submit([&fn](Conn& c) { return fn(c.db()); });
}

Status Store::Read(const std::function<Status(sqlite3*)>& fn) {
  return impl_->WithReader([&fn](Conn& c) { return fn(c.db()); });
}

Status Store::CheckWritable() {
  const int64_t now = impl_->Now();
  return impl_->Submit([now](Conn& c) {
    auto stmt = c.Prepare("INSERT OR REPLACE INTO heartbeat(id, time_ms) VALUES(1, ?1)");
    if (!stmt.ok()) return stmt.status();
    Cursor cur(*stmt);
    cur.Bind(1, now);
    return cur.Run("heartbeat");
  });
}

StoreStats Store::Stats() const {
  StoreStats s = impl_->writer->Stats();
  if (impl_->checkpointer) {
    s.checkpoints = impl_->checkpointer->checkpoints();
    s.wal_restarts = impl_->checkpointer->restarts();
  }
  return s;
}

}  // namespace deskhook
