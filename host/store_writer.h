// Internal to the store: the group-commit writer. One thread owns the write connection; callers
// submit operations and either block until the transaction holding them has committed (Submit)
// or are called back on the writer thread when it has (SubmitAsync).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "host/store.h"
#include "host/store_conn.h"

namespace deskhook::store_internal {

class Writer {
 public:
  // Runs on the writer thread inside the batch transaction. A non-OK result (or an exception)
  // rolls back only this operation. To get there without a savepoint per operation (each one
  // copies every page the operation touches that the batch already changed), the writer runs
  // a batch without them first; when an operation fails, it rolls the transaction back and runs
  // the whole batch again, each operation in its own savepoint.
  // REQUIRES: an op may run more than once before its transaction commits, so it touches
  // nothing but the connection and sets its outputs by assignment (no appending).
  using Op = std::function<Status(Conn&)>;
  // Completion of an operation: its result, on the writer thread after the transaction ended.
  using Done = std::function<void(Status)>;

  // Takes the connection; starts the thread. `maintenance` (may be empty) runs at the start of
  // a batch at most every `maintenance_interval_ms` of `now`; its failure is rolled back and
  // ignored.
  Writer(std::unique_ptr<Conn> conn, int max_batch, Op maintenance,
         int64_t maintenance_interval_ms, std::function<int64_t()> now);
  ~Writer();  // Stop()

  // Queues `op` (the writer owns it from here) for the next transaction. Unavailable once
  // Stop() has begun, and then `done` is never called. Otherwise Ok, and `done` is called
  // exactly once, on the writer thread, after the transaction holding `op` committed or failed,
  // with `op`'s own result, or Unavailable when the transaction did not commit. The `done`s of
  // one transaction run in submission order, after the COMMIT, without the writer's lock.
  // `done` should be quick (the next batch waits for it) and must not block on the writer
  // (Submit, or a blocking Store write, would deadlock); it may call SubmitAsync. An exception
  // from it is logged and ignored. Any thread.
  Status SubmitAsync(Op op, Done done);

  // SubmitAsync that blocks until `op` has committed and returns its result. `op` is borrowed:
  // it must stay valid until Submit returns. Any thread but the writer's.
  Status Submit(const Op& op);

  // Stops accepting, runs what is queued, joins the thread. Idempotent.
  void Stop();

  // The connection, for the final checkpoint. REQUIRES: Stop() has returned.
  Conn* conn() { return conn_.get(); }
  // Closes the connection. REQUIRES: Stop() has returned.
  void CloseConnection() { conn_.reset(); }

  StoreStats Stats() const;

 private:
  // Held by value in the queue and the batch: a queued op costs no allocation of its own beyond
  // std::function's for a capture too large to keep inline.
  struct Pending {
    Op op;
    Done done;
  };

  void Run();
  // Runs `batch` in one transaction; results[i] becomes batch[i]'s result.
  void RunBatch(const std::vector<Pending>& batch, std::vector<Status>* results);
  enum class Pass { kDone, kRetry };
  // kRetry only without savepoints: an op failed and the transaction was rolled back.
  Pass RunPass(const std::vector<Pending>& batch, std::vector<Status>* results, bool savepoint_per_op);
  void RunMaintenance();

  std::unique_ptr<Conn> conn_;
  const size_t max_batch_;
  const Op maintenance_;
  const int64_t maintenance_interval_ms_;
  const std::function<int64_t()> now_;
  int64_t last_maintenance_ms_ = 0;  // writer thread only

  mutable std::mutex mu_;
  std::condition_variable work_cv_;
  std::deque<Pending> queue_;   // guarded by mu_
  bool stopping_ = false;       // guarded by mu_
  StoreStats stats_;            // guarded by mu_
  std::thread thread_;
};

}  // namespace deskhook::store_internal
