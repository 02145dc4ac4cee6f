// The group-commit writer's asynchronous submission: when and how often completions run, their
// order within a batch, per-operation results, refusal after Stop, and throwing completions.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "host/log.h"
#include "host/store_conn.h"
#include "host/store_writer.h"
#include "tests/host/store/store_test_util.h"

namespace deskhook::store_internal {
namespace {

using testing::TempDir;

// Counts completions; WaitFor fails instead of hanging when they never come.
class Counter {
 public:
  void Add() {
    std::lock_guard<std::mutex> lock(mu_);
    ++n_;
    cv_.notify_all();
  }
  bool WaitFor(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(30), [&] { return n_ >= n; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int n_ = 0;
};

// A writer on a fresh WAL database with table t(x), and a reader connection beside it.
class StoreWriter : public ::testing::Test {
 protected:
  void SetUp() override {
    auto conn = Conn::Open(dir_.File("w.db"), /*writer=*/true, 5000);
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    ASSERT_TRUE((*conn)->Exec("PRAGMA journal_mode=WAL; CREATE TABLE t(x INTEGER);").ok());
    writer_ = std::make_unique<Writer>(std::move(conn).value(), /*max_batch=*/256, Writer::Op(),
                                       /*maintenance_interval_ms=*/0, [] { return int64_t{0}; });
    auto reader = Conn::Open(dir_.File("w.db"), /*writer=*/false, 5000);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    reader_ = std::move(reader).value();
  }
  void TearDown() override {
    if (writer_) writer_->Stop();
  }

  static Writer::Op Insert(int64_t x) {
    return [x](Conn& c) {
      std::string sql = "INSERT INTO t VALUES(" + std::to_string(x) + ")";
      return c.Exec(sql.c_str());
    };
  }

  // Rows of t with value x, counted on `conn`.
  static int64_t Rows(Conn& conn, int64_t x) {
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(conn.db(), "SELECT COUNT(*) FROM t WHERE x = ?1", -1, &s, nullptr);
    sqlite3_bind_int64(s, 1, x);
    int64_t n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    sqlite3_finalize(s);
    return n;
  }

  // Occupies the writer thread until Release(), so what is submitted meanwhile shares a batch.
  void HoldWriter() {
    ASSERT_TRUE(writer_->SubmitAsync(
        [this](Conn&) {
          held_ = true;
          while (!release_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
          return Status::Ok();
        },
        [](Status) {}).ok());
    while (!held_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  void Release() { release_ = true; }

  TempDir dir_;
  std::unique_ptr<Writer> writer_;
  std::unique_ptr<Conn> reader_;  // used from completions only (the writer thread)
  std::atomic<bool> held_{false}, release_{false};
};

TEST_F(StoreWriter, DoneRunsOnTheWriterThreadAfterCommit) {
  constexpr int kOps = 20;
  std::vector<int64_t> seen(kOps, -1);       // written on the writer thread only
  std::vector<std::thread::id> threads(kOps);
  Counter done;
  for (int i = 0; i < kOps; ++i) {
    ASSERT_TRUE(writer_->SubmitAsync(Insert(i), [&, i](Status st) {
      EXPECT_TRUE(st.ok()) << st.ToString();
      seen[i] = Rows(*reader_, i);  // another connection sees only committed rows
      threads[i] = std::this_thread::get_id();
      done.Add();
    }).ok());
  }
  ASSERT_TRUE(done.WaitFor(kOps));
  writer_->Stop();
  for (int i = 0; i < kOps; ++i) {
    EXPECT_EQ(seen[i], 1) << "op " << i;
    EXPECT_NE(threads[i], std::this_thread::get_id());
    EXPECT_EQ(threads[i], threads[0]);
  }
}

TEST_F(StoreWriter, DoneOncePerOpInSubmissionOrderAfterTheWholeBatch) {
  constexpr int kOps = 50;
  HoldWriter();
  std::atomic<int> ops_run{0};
  std::vector<int> calls(kOps, 0);
  std::vector<int> order;
  std::vector<int> ops_run_at_done;
  for (int i = 0; i < kOps; ++i) {
    ASSERT_TRUE(writer_->SubmitAsync(
        [&](Conn& c) {
          ops_run++;
          return Insert(1)(c);
        },
        [&, i](Status st) {
          EXPECT_TRUE(st.ok()) << st.ToString();
          calls[i]++;
          order.push_back(i);
          ops_run_at_done.push_back(ops_run.load());
        }).ok());
  }
  Release();
  writer_->Stop();  // drains the queue, completions included
  EXPECT_EQ(writer_->Stats().max_batch_seen, kOps);  // they all shared one transaction
  ASSERT_EQ(order.size(), size_t{kOps});
  for (int i = 0; i < kOps; ++i) {
    EXPECT_EQ(calls[i], 1) << "op " << i;
    EXPECT_EQ(order[i], i);
    EXPECT_EQ(ops_run_at_done[i], kOps) << "a completion ran before its batch finished";
  }
  EXPECT_EQ(ops_run.load(), kOps) << "a batch without failures runs each op once";
  EXPECT_EQ(writer_->Stats().replayed_batches, 0);
}

TEST_F(StoreWriter, FailingOpGetsItsOwnErrorAndRollsBackOnlyItself) {
  HoldWriter();
  std::vector<Status> results(3, Status::Internal("not called"));
  ASSERT_TRUE(writer_->SubmitAsync(Insert(1), [&](Status st) { results[0] = st; }).ok());
  ASSERT_TRUE(writer_->SubmitAsync(
      [](Conn& c) {
        Status st = c.Exec("INSERT INTO t VALUES(2)");
        return st.ok() ? Status::NotFound("deliberate failure") : st;
      },
      [&](Status st) { results[1] = st; }).ok());
  ASSERT_TRUE(writer_->SubmitAsync(Insert(3), [&](Status st) { results[2] = st; }).ok());
  Release();
  writer_->Stop();
  EXPECT_TRUE(results[0].ok()) << results[0].ToString();
  EXPECT_EQ(results[1].code(), Code::kNotFound);
  EXPECT_EQ(results[1].message(), "deliberate failure");
  EXPECT_TRUE(results[2].ok()) << results[2].ToString();
  EXPECT_EQ(writer_->Stats().max_batch_seen, 3);  // one transaction for all three
  EXPECT_EQ(writer_->Stats().failed_batches, 0);
  EXPECT_EQ(writer_->Stats().replayed_batches, 1);  // the failure sent it to the careful pass
  EXPECT_EQ(Rows(*reader_, 1), 1);
  EXPECT_EQ(Rows(*reader_, 2), 0);
  EXPECT_EQ(Rows(*reader_, 3), 1);
}

// The fast pass runs without savepoints; one op that throws after writing makes the writer roll
// back and run the batch again with them. The ops before it run twice (the documented contract
// of Writer::Op), their rows are there once, the thrower's are not.
TEST_F(StoreWriter, ThrowingOpIsUndoneAndTheBatchReplayedOnce) {
  HoldWriter();
  int first_runs = 0;
  int thrower_runs = 0;
  std::vector<Status> results(3, Status::Internal("not called"));
  ASSERT_TRUE(writer_->SubmitAsync(
      [&](Conn& c) {
        ++first_runs;
        return Insert(1)(c);
      },
      [&](Status st) { results[0] = st; }).ok());
  ASSERT_TRUE(writer_->SubmitAsync(
      [&](Conn& c) -> Status {
        ++thrower_runs;
        if (Status st = c.Exec("INSERT INTO t VALUES(2)"); !st.ok()) return st;
        throw std::runtime_error("boom");
      },
      [&](Status st) { results[1] = st; }).ok());
  ASSERT_TRUE(writer_->SubmitAsync(Insert(3), [&](Status st) { results[2] = st; }).ok());
  Release();
  writer_->Stop();
  EXPECT_TRUE(results[0].ok()) << results[0].ToString();
  EXPECT_EQ(results[1].code(), Code::kInternal);
  EXPECT_NE(results[1].message().find("boom"), std::string::npos) << results[1].message();
  EXPECT_TRUE(results[2].ok()) << results[2].ToString();
  EXPECT_EQ(first_runs, 2);
  EXPECT_EQ(thrower_runs, 2);
  EXPECT_EQ(writer_->Stats().replayed_batches, 1);
  EXPECT_EQ(Rows(*reader_, 1), 1);
  EXPECT_EQ(Rows(*reader_, 2), 0);
  EXPECT_EQ(Rows(*reader_, 3), 1);
}

TEST_F(StoreWriter, UnavailableOnceStopHasBegunAndDoneNeverCalled) {
  HoldWriter();
  // Stop blocks in join while the writer is held; submissions race it until one is refused.
  std::thread stopper([&] { writer_->Stop(); });
  // Every submission increments the same counters: a refused one that ran or completed anyway
  // would show up as one more than was accepted.
  std::atomic<int> ran{0}, completed{0};
  int accepted = 0;
  Status refused;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    Status st = writer_->SubmitAsync(
        [&](Conn& c) {
          ran++;
          return Insert(7)(c);
        },
        [&](Status) { completed++; });
    if (!st.ok()) {
      refused = st;
      break;
    }
    ++accepted;
  }
  EXPECT_EQ(refused.code(), Code::kUnavailable) << "Stop never refused a submission";
  EXPECT_EQ(writer_->Submit(Insert(8)).code(), Code::kUnavailable);
  Release();
  stopper.join();
  EXPECT_EQ(ran.load(), accepted);
  EXPECT_EQ(completed.load(), accepted);  // what was queued before Stop still completed
  EXPECT_EQ(Rows(*reader_, 7), accepted);
  EXPECT_EQ(Rows(*reader_, 8), 0);
  bool called = false;
  EXPECT_EQ(writer_->SubmitAsync(Insert(9), [&](Status) { called = true; }).code(), Code::kUnavailable);
  EXPECT_FALSE(called);
}

TEST_F(StoreWriter, ThrowingDoneDoesNotLoseTheOtherCompletions) {
  std::string sink;
  log::SetSinkForTest(&sink);
  HoldWriter();
  std::vector<int> completed;
  ASSERT_TRUE(writer_->SubmitAsync(Insert(1), [&](Status) { completed.push_back(1); }).ok());
  ASSERT_TRUE(writer_->SubmitAsync(Insert(2), [](Status) { throw std::runtime_error("boom"); }).ok());
  ASSERT_TRUE(writer_->SubmitAsync(Insert(3), [](Status) { throw 42; }).ok());
  ASSERT_TRUE(writer_->SubmitAsync(Insert(4), [&](Status) { completed.push_back(4); }).ok());
  Release();
  // The writer is still alive after the throws: a blocking submission behind them commits.
  EXPECT_TRUE(writer_->Submit(Insert(5)).ok());
  writer_->Stop();
  log::SetSinkForTest(nullptr);
  EXPECT_EQ(completed, (std::vector<int>{1, 4}));
  for (int x = 1; x <= 5; ++x) EXPECT_EQ(Rows(*reader_, x), 1) << x;  // throwing after commit undoes nothing
  EXPECT_NE(sink.find("store completion callback threw"), std::string::npos);
  EXPECT_NE(sink.find("boom"), std::string::npos);
}

TEST_F(StoreWriter, SubmitBlocksUntilCommittedAndBorrowsTheOp) {
  int64_t seen_by_op = -1;
  const Writer::Op op = [&](Conn& c) {
    Status st = Insert(11)(c);
    seen_by_op = Rows(*reader_, 11);  // not yet committed: the reader cannot see it
    return st;
  };
  ASSERT_TRUE(writer_->Submit(op).ok());
  EXPECT_EQ(seen_by_op, 0);
  EXPECT_EQ(Rows(*reader_, 11), 1);  // committed when Submit returned
  EXPECT_EQ(writer_->Submit([](Conn&) { return Status::AlreadyExists("mine"); }).code(),
            Code::kAlreadyExists);
}

// Opening a connection switches off SQLite's allocation counting (a process-wide mutex on every
// allocation); with it on, sqlite3_memory_used() reports the connections' memory.
TEST_F(StoreWriter, SqliteAllocationCountingIsOff) {
  EXPECT_TRUE(writer_->Submit([](Conn& c) { return c.Exec("INSERT INTO t VALUES (1)"); }).ok());
  EXPECT_EQ(sqlite3_memory_used(), 0);
}

}  // namespace
}  // namespace deskhook::store_internal
