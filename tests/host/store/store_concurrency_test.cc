// Group commit under concurrency, per-operation rollback inside a batch, generic Write/Read,
// readiness probe and closing.
#include <sqlite3.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "host/store.h"
#include "tests/host/store/store_test_util.h"

namespace deskhook {
namespace {

using testing::MakeEvent;
using testing::OpenOrFail;
using testing::TempDir;

TEST(StoreConcurrency, ManyThreadsAppendAllCommittedWithUniqueIds) {
  TempDir dir;
  auto store = OpenOrFail(testing::Options(dir.File("s.db")));
  ASSERT_TRUE(store);
  constexpr int kThreads = 32, kPerThread = 150;
  std::vector<std::vector<int64_t>> ids(kThreads);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto r = store->AppendEvent(
            MakeEvent("zd", "t" + std::to_string(t) + "-" + std::to_string(i)));
        if (!r.ok() || r->duplicate) {
          failures++;
        } else {
          ids[t].push_back(r->event_id);
        }
      }
    });
  }
  // Reads run beside the writes.
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(store->CountEvents().ok());
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  std::set<int64_t> unique;
  for (const auto& v : ids) unique.insert(v.begin(), v.end());
  EXPECT_EQ(unique.size(), size_t{kThreads * kPerThread});
  EXPECT_EQ(*store->CountEvents(), kThreads * kPerThread);
  StoreStats stats = store->Stats();
  EXPECT_EQ(stats.failed_batches, 0);
  EXPECT_LT(stats.commits, stats.ops);  // several operations shared a commit
  EXPECT_GT(stats.max_batch_seen, 1);
}

TEST(StoreConcurrency, ManyAsyncAppendsWithoutWaitingAllCompleteWithUniqueIds) {
  TempDir dir;
  auto store = OpenOrFail(testing::Options(dir.File("s.db")));
  ASSERT_TRUE(store);
  constexpr int kThreads = 4, kPerThread = 500, kTotal = kThreads * kPerThread;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<int64_t> ids;             // guarded by mu
  std::set<std::thread::id> done_on;    // guarded by mu
  int completed = 0, failures = 0;      // guarded by mu
  std::set<std::thread::id> submitters;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        store->AppendEventAsync(
            MakeEvent("zd", "a" + std::to_string(t) + "-" + std::to_string(i)), [&](Result<AppendResult> r) {
              std::lock_guard<std::mutex> lock(mu);
              if (!r.ok() || r->duplicate) {
                failures++;
              } else {
                ids.push_back(r->event_id);
              }
              done_on.insert(std::this_thread::get_id());
              if (++completed == kTotal) cv.notify_all();
            });
      }
    });
  }
  for (auto& th : threads) {
    submitters.insert(th.get_id());
    th.join();
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(60), [&] { return completed == kTotal; }))
        << completed << " of " << kTotal << " completed";
    EXPECT_EQ(failures, 0);
    EXPECT_EQ(std::set<int64_t>(ids.begin(), ids.end()).size(), size_t{kTotal});
    ASSERT_EQ(done_on.size(), 1u);  // all on the writer thread
    EXPECT_EQ(submitters.count(*done_on.begin()), 0u);
  }
  EXPECT_EQ(*store->CountEvents(), kTotal);
  StoreStats stats = store->Stats();
  EXPECT_EQ(stats.failed_batches, 0);
  EXPECT_LT(stats.commits, stats.ops);  // they shared transactions
  store->Close();
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(completed, kTotal);  // nothing completed twice
}

TEST(StoreConcurrency, FailingOperationRollsBackOnlyItselfInItsBatch) {
  TempDir dir;
  auto store = OpenOrFail(testing::Options(dir.File("s.db")));
  ASSERT_TRUE(store);
  auto pending_id = store->AppendEvent(MakeEvent("zd", "victim"))->event_id;

  // Hold the writer so the following operations queue up and share one batch.
  std::atomic<bool> release{false};
  std::thread blocker([&] {
    Status st = store->Write([&](sqlite3*) {
      while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      return Status::Ok();
    });
    EXPECT_TRUE(st.ok());
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));

  std::vector<std::thread> threads;
  std::atomic<int> good_ok{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      if (store->AppendEvent(MakeEvent("zd", "good-" + std::to_string(i))).ok()) good_ok++;
    });
  }
  Status bad_write, bad_commit;
  threads.emplace_back([&] {
    // Writes a row, then fails: the row must not survive.
    bad_write = store->Write([](sqlite3* db) {
      sqlite3_exec(db, "CREATE TABLE IF NOT EXISTS scratch(x); INSERT INTO scratch VALUES(1);",
                   nullptr, nullptr, nullptr);
      return Status::Internal("deliberate failure");
    });
  });
  threads.emplace_back([&] {
    ProcessedEvent p;  // updates the state and one log entry, then fails on the second
    p.event_id = pending_id;
    p.log = {{pending_id, "decision", "{}", 1}, {pending_id, "", "{}", 2}};
    bad_commit = store->CommitProcessed(p);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  release = true;
  blocker.join();
  for (auto& th : threads) th.join();

  EXPECT_EQ(good_ok.load(), 8);
  EXPECT_EQ(bad_write.code(), Code::kInternal);
  EXPECT_EQ(bad_commit.code(), Code::kInvalidArgument);
  EXPECT_EQ(*store->CountEvents(), 9);
  EXPECT_EQ(store->GetEvent(pending_id)->state, EventState::kPending);
  EXPECT_TRUE(store->LogFor(pending_id)->empty());
  bool scratch_rows = true;
  ASSERT_TRUE(store->Read([&](sqlite3* db) {
    sqlite3_stmt* s = nullptr;
    // The table itself was created inside the rolled-back savepoint: it must not exist.
    int rc = sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM scratch", -1, &s, nullptr);
    scratch_rows = rc == SQLITE_OK;
    sqlite3_finalize(s);
    return Status::Ok();
  }).ok());
  EXPECT_FALSE(scratch_rows);
  EXPECT_GE(store->Stats().max_batch_seen, 5);  // they really did share a transaction
}

TEST(StoreConcurrency, GenericWriteAndRead) {
  TempDir dir;
  auto store = OpenOrFail(testing::Options(dir.File("s.db")));
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Write([](sqlite3* db) {
    int rc = sqlite3_exec(db,
                          "CREATE TABLE faq(q TEXT); INSERT INTO faq VALUES('how?'), ('why?');",
                          nullptr, nullptr, nullptr);
    return rc == SQLITE_OK ? Status::Ok() : Status::Internal(sqlite3_errmsg(db));
  }).ok());
  int rows = 0;
  ASSERT_TRUE(store->Read([&](sqlite3* db) {
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db, "SELECT q FROM faq", -1, &s, nullptr);
    while (sqlite3_step(s) == SQLITE_ROW) rows++;
    sqlite3_finalize(s);
    // Readers are query-only.
    int rc = sqlite3_exec(db, "INSERT INTO faq VALUES('no')", nullptr, nullptr, nullptr);
    return rc == SQLITE_OK ? Status::Internal("reader could write") : Status::Ok();
  }).ok());
  EXPECT_EQ(rows, 2);
}

TEST(StoreConcurrency, CheckWritableThenUnavailableAfterClose) {
  TempDir dir;
  auto store = OpenOrFail(testing::Options(dir.File("s.db")));
  ASSERT_TRUE(store);
  EXPECT_TRUE(store->CheckWritable().ok());
  ASSERT_TRUE(store->AppendEvent(MakeEvent("zd", "before-close")).ok());
  store->Close();
  EXPECT_EQ(store->CheckWritable().code(), Code::kUnavailable);
  EXPECT_EQ(store->AppendEvent(MakeEvent("zd", "after-close")).status().code(),
            Code::kUnavailable);
  EXPECT_EQ(store->CountEvents().status().code(), Code::kUnavailable);
  store->Close();  // idempotent
  store.reset();

  auto reopened = OpenOrFail(testing::Options(dir.File("s.db")));
  ASSERT_TRUE(reopened);
  EXPECT_EQ(*reopened->CountEvents(), 1);
  // Close checkpointed and truncated the WAL.
  reopened.reset();
  std::error_code ec;
  auto wal_size = std::filesystem::file_size(dir.File("s.db-wal"), ec);
  EXPECT_TRUE(ec || wal_size == 0);
}

TEST(StoreConcurrency, OpenRejectsMemoryDatabase) {
  EXPECT_EQ(Store::Open(testing::Options(":memory:")).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Store::Open(testing::Options("")).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace deskhook
