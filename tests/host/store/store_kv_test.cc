// Script key-value store with expiry; sentiment history.
#include <sqlite3.h>
#include <gtest/gtest.h>

#include <atomic>

#include "host/store.h"
#include "tests/host/store/store_test_util.h"

namespace deskhook {
namespace {

using testing::OpenOrFail;
using testing::TempDir;

TEST(StoreKv, SetGetOverwriteAndExpiry) {
  TempDir dir;
  auto store = OpenOrFail(testing::Options(dir.File("s.db")));
  ASSERT_TRUE(store);
  EXPECT_FALSE(store->KvGet("router", "missing", 0)->has_value());
  ASSERT_TRUE(store->KvSet("router", "a", "one", 0).ok());
  ASSERT_TRUE(store->KvSet("router", "b", "two", 2000).ok());
  ASSERT_TRUE(store->KvSet("other", "a", "elsewhere", 0).ok());
  EXPECT_EQ(store->KvGet("router", "a", 1'000'000)->value(), "one");  // never expires
  EXPECT_EQ(store->KvGet("other", "a", 0)->value(), "elsewhere");    // scoped per script
  EXPECT_EQ(store->KvGet("router", "b", 1999)->value(), "two");
  EXPECT_FALSE(store->KvGet("router", "b", 2000)->has_value());     // expired
  ASSERT_TRUE(store->KvSet("router", "a", "uno", 0).ok());
  EXPECT_EQ(store->KvGet("router", "a", 0)->value(), "uno");
}

TEST(StoreKv, IncrCreatesAddsAndRestartsAfterExpiry) {
  TempDir dir;
  std::atomic<int64_t> now{10'000};
  StoreOptions o = testing::Options(dir.File("s.db"));
  o.clock = [&now] { return now.load(); };
  auto store = OpenOrFail(o);
  ASSERT_TRUE(store);
  EXPECT_EQ(*store->KvIncr("s", "count", 1, 20'000), 1);
  EXPECT_EQ(*store->KvIncr("s", "count", 5, 99'999), 6);  // existing key keeps its expiry
  EXPECT_EQ(store->KvGet("s", "count", 19'999)->value(), "6");
  EXPECT_EQ(*store->KvIncr("s", "count", -2, 0), 4);
  now = 20'000;  // expired: counts from zero again with the new expiry
  EXPECT_EQ(*store->KvIncr("s", "count", 3, 30'000), 3);
  EXPECT_EQ(store->KvGet("s", "count", 29'999)->value(), "3");
  EXPECT_FALSE(store->KvGet("s", "count", 30'000)->has_value());

  ASSERT_TRUE(store->KvSet("s", "word", "hello", 0).ok());
  EXPECT_EQ(store->KvIncr("s", "word", 1, 0).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(store->KvGet("s", "word", 0)->value(), "hello");  // unchanged
}

int64_t CountRows(Store& store, const char* table) {
  int64_t n = -1;
  std::string sql = std::string("SELECT COUNT(*) FROM ") + table;
  EXPECT_TRUE(store.Read([&](sqlite3* db) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) {
      return Status::Internal(sqlite3_errmsg(db));
    }
    if (sqlite3_step(s) == SQLITE_ROW) n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return Status::Ok();
  }).ok());
  return n;
}

TEST(StoreKv, ExpiredKvAndHashDedupeRowsArePruned) {
  TempDir dir;
  std::atomic<int64_t> now{1'000'000'000};
  StoreOptions o = testing::Options(dir.File("s.db"), /*dedupe_window_s=*/60);
  o.clock = [&now] { return now.load(); };
  auto store = OpenOrFail(o);
  ASSERT_TRUE(store);
  NewEvent e = testing::MakeEvent("ic", "sha256:1");
  e.dedupe_by_hash = true;
  e.received_ms = 0;  // the store's clock
  ASSERT_TRUE(store->AppendEvent(e).ok());
  ASSERT_TRUE(store->KvSet("s", "short", "v", now + 1000).ok());
  ASSERT_TRUE(store->KvSet("s", "forever", "v", 0).ok());
  EXPECT_EQ(CountRows(*store, "hash_dedupe"), 1);
  EXPECT_EQ(CountRows(*store, "kv"), 2);

  now += 120'000;  // past the window and the kv expiry; pruning runs at most every 5 s
  ASSERT_TRUE(store->CheckWritable().ok());
  EXPECT_EQ(CountRows(*store, "hash_dedupe"), 0);
  EXPECT_EQ(CountRows(*store, "kv"), 1);
  EXPECT_EQ(store->KvGet("s", "forever", now)->value(), "v");
  EXPECT_EQ(*store->CountEvents(), 1);  // events themselves are never pruned
  auto again = store->AppendEvent(e);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->duplicate);
}

// A store with `retention_days` whose clock is `now`.
std::unique_ptr<Store> OpenWithRetention(TempDir& dir, int64_t retention_days, std::atomic<int64_t>& now) {
  StoreOptions o = testing::Options(dir.File("s.db"));
  o.retention_days = retention_days;
  o.clock = [&now] { return now.load(); };
  return OpenOrFail(o);
}

TEST(StoreRetention, OldProcessedEventsGoWithTheirRecordsPendingWorkAndDeadLettersStay) {
  TempDir dir;
  const int64_t day = 86'400'000;
  std::atomic<int64_t> now{1'000'000'000'000};
  auto store = OpenWithRetention(dir, 1, now);
  ASSERT_TRUE(store);
  auto append = [&](const std::string& key, const std::string& ticket) {
    NewEvent e = testing::MakeEvent("zd", key);
    e.ticket_id = ticket;
    e.received_ms = now;
    return store->AppendEvent(e).value().event_id;
  };
  auto call = [](const std::string& key) {
    ApiCall c;
    c.kind = "tag";
    c.method = "PUT";
    c.path = "/api/v2/tickets/1";
    c.body = "{}";
    c.idempotency_key = key;
    return c;
  };
  const int64_t done = append("d1", "T1");     // processed, its call delivered: goes
  const int64_t waiting = append("d2", "T2");  // processed, its call still pending: stays
  const int64_t unprocessed = append("d3", "T3");
  const int64_t dead = append("d5", "T5");     // processed, its call dead-lettered: stays
  for (auto [id, key] : {std::pair{done, "k1"}, std::pair{waiting, "k2"}, std::pair{dead, "k5"}}) {
    ProcessedEvent p;
    p.event_id = id;
    p.log.push_back(LogEntry{id, "decision", "{}", now});
    p.calls.push_back(call(key));
    p.sentiment = {-0.5};
    ASSERT_TRUE(store->CommitProcessed(p).ok());
  }
  OutboxItem delivered = store->OutboxForEvent(done).value().at(0);
  delivered.state = OutboxState::kDone;
  ASSERT_TRUE(store->UpdateOutbox(delivered).ok());
  OutboxItem dead_letter = store->OutboxForEvent(dead).value().at(0);
  dead_letter.state = OutboxState::kDead;
  ASSERT_TRUE(store->UpdateOutbox(dead_letter).ok());

  now += day / 2;  // within the retention: nothing goes
  ASSERT_TRUE(store->CheckWritable().ok());
  EXPECT_EQ(*store->CountEvents(), 4);

  now += 2 * day;
  const int64_t fresh = append("d4", "T4");
  ASSERT_TRUE(store->CheckWritable().ok());  // the next write batch runs the maintenance
  EXPECT_FALSE(store->GetEvent(done).ok());
  EXPECT_EQ(testing::CountRows(*store, "event_bodies"), 4) << "the pruned event's body goes with it";
  EXPECT_TRUE(store->LogFor(done)->empty());
  EXPECT_TRUE(store->OutboxForEvent(done)->empty());
  EXPECT_TRUE(store->SentimentHistory("zd", "T1")->empty());
  EXPECT_TRUE(store->GetEvent(waiting).ok()) << "a call still pending keeps its event";
  EXPECT_EQ(store->OutboxForEvent(waiting)->size(), 1u);
  EXPECT_EQ(store->LogFor(waiting)->size(), 1u);
  EXPECT_TRUE(store->GetEvent(unprocessed).ok()) << "not processed yet: kept";
  EXPECT_TRUE(store->GetEvent(dead).ok()) << "a dead letter waits for an admin, not for the clock";
  EXPECT_EQ(store->ListOutbox(OutboxState::kDead, 10)->size(), 1u);
  EXPECT_EQ(store->LogFor(dead)->size(), 1u);
  EXPECT_TRUE(store->GetEvent(fresh).ok());
  EXPECT_EQ(*store->CountEvents(), 4);
}

// Appends an event received at `received_ms` and commits it as processed, with nothing recorded.
int64_t AppendProcessed(Store& store, const std::string& key, int64_t received_ms) {
  NewEvent e = testing::MakeEvent("zd", key);
  e.received_ms = received_ms;
  ProcessedEvent p;
  p.event_id = store.AppendEvent(e).value().event_id;
  EXPECT_TRUE(store.CommitProcessed(p).ok());
  return p.event_id;
}

TEST(StoreRetention, ABacklogIsPrunedInBoundedStepsAcrossRuns) {
  TempDir dir;
  std::atomic<int64_t> now{1'000'000'000'000};
  auto store = OpenWithRetention(dir, 1, now);
  ASSERT_TRUE(store);
  for (int i = 0; i < 250; ++i) AppendProcessed(*store, "old-" + std::to_string(i), now);
  now += 2 * 86'400'000LL;
  ASSERT_TRUE(store->CheckWritable().ok());
  EXPECT_EQ(*store->CountEvents(), 50) << "one run deletes at most 200";
  ASSERT_TRUE(store->CheckWritable().ok());
  EXPECT_EQ(*store->CountEvents(), 50) << "the next run waits its interval";
  now += 6'000;
  ASSERT_TRUE(store->CheckWritable().ok());
  EXPECT_EQ(*store->CountEvents(), 0);
}

TEST(StoreRetention, ZeroKeepsEverything) {
  TempDir dir;
  std::atomic<int64_t> now{1'000'000'000'000};
  auto store = OpenWithRetention(dir, 0, now);
  ASSERT_TRUE(store);
  const int64_t id = AppendProcessed(*store, "old", now);
  now += 3650LL * 86'400'000;
  ASSERT_TRUE(store->CheckWritable().ok());
  EXPECT_TRUE(store->GetEvent(id).ok());
}

TEST(StoreSentiment, HistoryIsOldestFirstPerTicketAndIdempotent) {
  TempDir dir;
  auto store = OpenOrFail(testing::Options(dir.File("s.db")));
  ASSERT_TRUE(store);
  const int64_t t1a = store->AppendEvent(testing::MakeEvent("zd", "a", "T1")).value().event_id;
  const int64_t t1b = store->AppendEvent(testing::MakeEvent("zd", "b", "T1")).value().event_id;
  const int64_t t2 = store->AppendEvent(testing::MakeEvent("zd", "c", "T2")).value().event_id;
  const int64_t t1c = store->AppendEvent(testing::MakeEvent("zd", "d", "T1")).value().event_id;
  ASSERT_TRUE(store->AppendSentiment(t1b, {-0.5, -0.7}).ok());
  ASSERT_TRUE(store->AppendSentiment(t1a, {0.3}).ok());  // earlier event, later write
  ASSERT_TRUE(store->AppendSentiment(t2, {0.9}).ok());
  ASSERT_TRUE(store->AppendSentiment(t1b, {0.1}).ok());  // reprocessed: the first stays
  // t1c has no sentiment (no customer message): it adds nothing.
  const double exact = 0.1 + 0.2;  // 0.30000000000000004: kept to the last bit
  ProcessedEvent p;
  p.event_id = t1c;
  p.sentiment = {exact, -1e-7};
  ASSERT_TRUE(store->CommitProcessed(p).ok());
  auto h = store->SentimentHistory("zd", "T1");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(*h, (std::vector<double>{0.3, -0.5, -0.7, exact, -1e-7}));
  EXPECT_EQ(*store->SentimentHistory("zd", "T2"), std::vector<double>{0.9});
  EXPECT_TRUE(store->SentimentHistory("other", "T1")->empty());
  EXPECT_EQ(store->AppendSentiment(424242, {0.5}).code(), Code::kNotFound);
}

}  // namespace
}  // namespace deskhook
