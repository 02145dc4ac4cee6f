#include "host/store_writer.h"

#include <pthread.h>

#include <exception>
#include <string>
#include <utility>

#include "host/log.h"
#include "host/one_shot.h"

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

Status Writer::SubmitAsync(Op op, Done done) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return Status::Unavailable("store is closing");
  queue_.push_back(Pending{std::move(op), std::move(done)});
  if (queue_.size() == 1) work_cv_.notify_one();
  return Status::Ok();
}

Status Writer::Submit(const Op& op) {
  // Both closures capture one pointer, so std::function keeps them inline: no allocation.
  OneShot<Status> result;
  Status queued = SubmitAsync([&op](Conn& c) { return op(c); },
                              [&result](Status st) { result.Set(std::move(st)); });
  if (!queued.ok()) return queued;
  return result.Wait();
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
  std::vector<Pending> batch;
  std::vector<Status> results;
  batch.reserve(max_batch_);
  results.reserve(max_batch_);
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
    results.assign(batch.size(), Status::Ok());
    RunBatch(batch, &results);
    for (size_t i = 0; i < batch.size(); ++i) {
      try {
        batch[i].done(std::move(results[i]));
      } catch (const std::exception& e) {
        log::Error("store completion callback threw", {{"error", std::string_view(e.what())}});
      } catch (...) {
        log::Error("store completion callback threw", {{"error", std::string_view("not a std::exception")}});
      }
    }
    batch.clear();  // the ops and callbacks (and what they captured) are destroyed here
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

void Writer::RunBatch(const std::vector<Pending>& batch, std::vector<Status>* results) {
  const int64_t maintenance_before = last_maintenance_ms_;
  if (RunPass(batch, results, /*savepoint_per_op=*/false) == Pass::kDone) return;
  // An operation failed and the fast pass rolled everything back: run the batch again with a
  // savepoint per operation, so only the failing ones are undone.
  last_maintenance_ms_ = maintenance_before;  // its work was rolled back too
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.replayed_batches++;
  }
  results->assign(batch.size(), Status::Ok());
  RunPass(batch, results, /*savepoint_per_op=*/true);
}

// One transaction for the whole batch. Without a savepoint per operation, the first failing
// operation rolls back the transaction and the pass returns kRetry; with them, a failing
// operation is rolled back to its savepoint and the others commit.
Writer::Pass Writer::RunPass(const std::vector<Pending>& batch, std::vector<Status>* results,
                             bool savepoint_per_op) {
  sqlite3* db = conn_->db();
  std::vector<Status>& result = *results;
  auto fail_all = [&](const Status& why) {
    for (Status& r : result) r = why;
  };
  Status begin = conn_->ExecCached("BEGIN IMMEDIATE");
  if (!begin.ok()) {
    fail_all(Status::Unavailable("begin: " + begin.message()));
    std::lock_guard<std::mutex> lock(mu_);
    stats_.failed_batches++;
    return Pass::kDone;
  }
  RunMaintenance();
  bool lost = sqlite3_get_autocommit(db) != 0;  // SQLite rolled the transaction back itself
  for (size_t i = 0; i < batch.size(); ++i) {
    if (lost) {
      result[i] = Status::Unavailable("transaction rolled back by an earlier failure");
      continue;
    }
    Status st = savepoint_per_op ? conn_->ExecCached("SAVEPOINT op") : Status::Ok();
    if (st.ok()) {
      try {
        st = batch[i].op(*conn_);
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
      result[i] = st.ok() ? Status::Unavailable("transaction rolled back") : st;
      continue;
    }
    if (!savepoint_per_op) {
      if (!st.ok()) {
        conn_->ExecCached("ROLLBACK");
        return Pass::kRetry;
      }
    } else if (st.ok()) {
      st = conn_->ExecCached("RELEASE op");
    } else {
      conn_->ExecCached("ROLLBACK TO op");
      conn_->ExecCached("RELEASE op");
    }
    result[i] = std::move(st);
  }
  if (lost) {
    for (Status& r : result) {
      if (r.ok()) r = Status::Unavailable("transaction rolled back");
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
  return Pass::kDone;
}

}  // namespace deskhook::store_internal
