// Internal to the store: the group-commit writer. One thread owns the write connection; callers
// submit operations and block until the transaction holding them has committed.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "host/store.h"
#include "host/store_conn.h"

namespace deskhook::store_internal {

class Writer {
 public:
  // Runs on the writer thread inside the batch transaction, in its own savepoint: a non-OK
  // result rolls back only this operation.
  using Op = std::function<Status(Conn&)>;

  // Takes the connection; starts the thread. `maintenance` (may be empty) runs at the start of
  // a batch at most every `maintenance_interval_ms` of `now`; its failure is rolled back and
  // ignored.
  Writer(std::unique_ptr<Conn> conn, int max_batch, Op maintenance,
         int64_t maintenance_interval_ms, std::function<int64_t()> now);
  ~Writer();  // Stop()

  // Blocks until `op` has committed (its own result, or Unavailable when the transaction did
  // not commit). Unavailable once Stop() has begun.
  Status Submit(const Op& op);

  // Stops accepting, runs what is queued, joins the thread. Idempotent.
  void Stop();

  // The connection, for the final checkpoint. REQUIRES: Stop() has returned.
  Conn* conn() { return conn_.get(); }
  // Closes the connection. REQUIRES: Stop() has returned.
  void CloseConnection() { conn_.reset(); }

  StoreStats Stats() const;

 private:
  // Lives on the heap (shared with the waiter through the promise), so the writer can complete
  // it without holding mu_ and without racing the waiter's return.
  struct Pending {
    const Op* op;
    Status result;
    std::promise<Status> done;
  };

  void Run();
  void RunBatch(const std::vector<std::unique_ptr<Pending>>& batch);
  void RunMaintenance();

  std::unique_ptr<Conn> conn_;
  const size_t max_batch_;
  const Op maintenance_;
  const int64_t maintenance_interval_ms_;
  const std::function<int64_t()> now_;
  int64_t last_maintenance_ms_ = 0;  // writer thread only

  mutable std::mutex mu_;
  std::condition_variable work_cv_;
  std::deque<std::unique_ptr<Pending>> queue_;  // guarded by mu_
  bool stopping_ = false;       // guarded by mu_
  StoreStats stats_;            // guarded by mu_
  std::thread thread_;
};

}  // namespace deskhook::store_internal
