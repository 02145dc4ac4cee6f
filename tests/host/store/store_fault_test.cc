// Fault injection: an unwritable path and a full disk (simulated with max_page_count) give
// Unavailable, and nothing is half-written.
#include <sqlite3.h>
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "host/store.h"
#include "tests/host/store/store_test_util.h"

namespace deskhook {
namespace {

using testing::MakeEvent;
using testing::OpenOrFail;
using testing::TempDir;

TEST(StoreFault, OpenOnUnwritablePathIsUnavailable) {
  TempDir dir;
  std::ofstream(dir.File("not-a-dir")) << "x";
  auto store = Store::Open(testing::Options(dir.File("not-a-dir") + "/s.db"));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Code::kUnavailable) << store.status().ToString();
  auto missing = Store::Open(testing::Options(dir.File("no/such/dir/s.db")));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kUnavailable);
}

TEST(StoreFault, FullDiskGivesUnavailableAndNothingHalfWritten) {
  TempDir dir;
  const std::string db = dir.File("full.db");
  std::vector<std::string> acked;
  std::string refused_key;
  int64_t victim = 0;
  {
    StoreOptions o = testing::Options(db);
    o.max_page_count = 80;  // ~320 KB with 4 KB pages
    auto store = OpenOrFail(o);
    ASSERT_TRUE(store);
    for (int i = 0; i < 1000 && refused_key.empty(); ++i) {
      std::string key = "k" + std::to_string(i);
      auto r = store->AppendEvent(MakeEvent("zd", key, "T", std::string(3000, 'a' + i % 26)));
      if (r.ok()) {
        acked.push_back(key);
        if (victim == 0) victim = r->event_id;
      } else {
        EXPECT_EQ(r.status().code(), Code::kUnavailable) << r.status().ToString();
        refused_key = key;
      }
    }
    ASSERT_FALSE(refused_key.empty()) << "the page limit never hit";
    ASSERT_GT(acked.size(), 5u);
    // Still full: a retry is refused the same way, a big processing commit too.
    EXPECT_EQ(store->AppendEvent(MakeEvent("zd", refused_key, "T", std::string(3000, 'z')))
                  .status().code(), Code::kUnavailable);
    ProcessedEvent p;
    p.event_id = victim;
    for (int i = 0; i < 40; ++i) p.log.push_back({victim, "decision", std::string(3000, 'l'), i});
    EXPECT_EQ(store->CommitProcessed(p).code(), Code::kUnavailable);
    // The writer is still alive for what fits.
    EXPECT_TRUE(store->GetEvent(victim).ok());
  }
  auto store = OpenOrFail(testing::Options(db));  // no limit now
  ASSERT_TRUE(store);
  EXPECT_EQ(testing::IntegrityCheck(*store), "ok");
  EXPECT_EQ(*store->CountEvents(), static_cast<int64_t>(acked.size()));
  std::vector<std::string> keys = testing::AllDedupeKeys(*store);
  std::set<std::string> stored(keys.begin(), keys.end());
  for (const auto& k : acked) EXPECT_EQ(stored.count(k), 1u) << k;
  EXPECT_EQ(stored.count(refused_key), 0u);
  auto all = store->RecentEvents(1000);
  ASSERT_TRUE(all.ok());
  for (const auto& e : *all) EXPECT_EQ(e.body.size(), 3000u);
  EXPECT_EQ(store->GetEvent(victim)->state, EventState::kPending);
  EXPECT_TRUE(store->LogFor(victim)->empty());
  auto again = store->AppendEvent(MakeEvent("zd", refused_key));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->duplicate);
}

TEST(StoreFault, DatabaseLockedByAnotherProcessGivesUnavailable) {
  TempDir dir;
  StoreOptions o = testing::Options(dir.File("s.db"));
  o.busy_timeout_ms = 100;
  auto store = OpenOrFail(o);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->AppendEvent(MakeEvent("zd", "before")).ok());
  // Another connection (as another process would) takes the write lock and keeps it.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(dir.File("s.db").c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE; INSERT INTO kv VALUES('x','y','z',0);",
                         nullptr, nullptr, nullptr), SQLITE_OK);
  auto locked = store->AppendEvent(MakeEvent("zd", "during"));
  EXPECT_EQ(locked.status().code(), Code::kUnavailable) << locked.status().ToString();
  EXPECT_EQ(store->CheckWritable().code(), Code::kUnavailable);
  ASSERT_EQ(sqlite3_exec(other, "ROLLBACK;", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  // The lock is gone: the retry (what the platform does after a 503) is stored once.
  auto retry = store->AppendEvent(MakeEvent("zd", "during"));
  ASSERT_TRUE(retry.ok());
  EXPECT_FALSE(retry->duplicate);
  EXPECT_EQ(*store->CountEvents(), 2);
}

}  // namespace
}  // namespace deskhook
