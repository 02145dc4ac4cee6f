// Fault injection: an unwritable path and a full disk (simulated with max_page_count) give
// Unavailable, and nothing is half-written.
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

}  // namespace
}  // namespace deskhook
