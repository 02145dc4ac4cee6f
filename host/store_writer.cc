#include "host/store_writer.h"

#include <pthread.h>

#include <exception>
#include <utility>

namespace deskhook::store_internal {

Writer::Writer(std::unique_ptr<Conn> conn, int max_batch, Op maintenance,
               int64_t maintenance_interval_ms, std::function<int64_t()> now)
    : conn_(std::move(conn)),
      max_batch_(max_batch < 1 ? 1 : static_cast<size_t>(max_batch)),
      maintenance_(std::move(maintenance)),
      maintenance_interval_ms_(maintenance_interval_ms),
      now_(std::move(now)) {
  thread_ = std::thread([this] { Run(); });
}

Writer::~Writer() { Stop(); }

Status Writer::Submit(const Op& op) {
  auto p = std::make_unique<Pending>();
  p->op = &op;
  std::future<Status> done = p->done.get_future();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return Status::Unavailable("store is closing");
    queue_.push_back(std::move(p));
    if (queue_.size() == 1) work_cv_.notify_one();
  }
  return done.get();
}

void Writer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

StoreStats Writer::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void Writer::Run() {
  pthread_setname_np(pthread_self(), "store-writer");  // visible in top -H, perf, gdb
  std::vector<std::unique_ptr<Pending>> batch;
  batch.reserve(max_batch_);
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    RunBatch(batch);
    for (auto& p : batch) p->done.set_value(std::move(p->result));
    batch.clear();
  }
}

void Writer::RunMaintenance() {
  int64_t now = now_();
  if (!maintenance_ || now - last_maintenance_ms_ < maintenance_interval_ms_) return;
  last_maintenance_ms_ = now;
  if (!conn_->ExecCached("SAVEPOINT maintenance").ok()) return;
  Status st = maintenance_(*conn_);
  if (sqlite3_get_autocommit(conn_->db())) return;  // the transaction is gone; BEGIN fails next
  if (!st.ok()) conn_->ExecCached("ROLLBACK TO maintenance");
  conn_->ExecCached("RELEASE maintenance");
}

// One transaction for the whole batch, a savepoint per operation.
void Writer::RunBatch(const std::vector<std::unique_ptr<Pending>>& batch) {
  sqlite3* db = conn_->db();
  auto fail_all = [&](const Status& why) {
    for (const auto& p : batch) p->result = why;
  };
  Status begin = conn_->ExecCached("BEGIN IMMEDIATE");
  if (!begin.ok()) {
    fail_all(Status::Unavailable("begin: " + begin.message()));
    std::lock_guard<std::mutex> lock(mu_);
    stats_.failed_batches++;
    return;
  }
  RunMaintenance();
  bool lost = sqlite3_get_autocommit(db) != 0;  // SQLite rolled the transaction back itself
  for (const auto& p : batch) {
    if (lost) {
      p->result = Status::Unavailable("transaction rolled back by an earlier failure");
      continue;
    }
    Status st = conn_->ExecCached("SAVEPOINT op");
    if (st.ok()) {
      try {
        st = (*p->op)(*conn_);
      } catch (const std::exception& e) {
        st = Status::Internal(std::string("store operation threw: ") + e.what());
      } catch (...) {
        st = Status::Internal("store operation threw");
      }
    }
    if (sqlite3_get_autocommit(db)) {
      // An I/O or full-disk error rolled back the whole transaction: nothing of this batch
      // (including operations that already succeeded) will be committed.
      lost = true;
      p->result = st.ok() ? Status::Unavailable("transaction rolled back") : st;
      continue;
    }
    if (st.ok()) {
      st = conn_->ExecCached("RELEASE op");
    } else {
      conn_->ExecCached("ROLLBACK TO op");
      conn_->ExecCached("RELEASE op");
    }
    p->result = std::move(st);
  }
  if (lost) {
    for (const auto& p : batch) {
      if (p->result.ok()) p->result = Status::Unavailable("transaction rolled back");
    }
  } else {
    Status commit = conn_->ExecCached("COMMIT");
    if (!commit.ok()) {
      if (!sqlite3_get_autocommit(db)) conn_->ExecCached("ROLLBACK");
      lost = true;
      fail_all(Status::Unavailable("commit: " + commit.message()));
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  stats_.ops += static_cast<int64_t>(batch.size());
  if (lost) {
    stats_.failed_batches++;
  } else {
    stats_.commits++;
  }
  if (static_cast<int64_t>(batch.size()) > stats_.max_batch_seen) {
    stats_.max_batch_seen = static_cast<int64_t>(batch.size());
  }
}

}  // namespace deskhook::store_internal
