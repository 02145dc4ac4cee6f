// Outbox: items from a commit, due scan, state updates, idempotency keys, captured variables.
#include <sqlite3.h>
#include <gtest/gtest.h>

#include "host/store.h"
#include "tests/host/store/store_test_util.h"

namespace deskhook {
namespace {

using testing::MakeEvent;
using testing::OpenOrFail;
using testing::TempDir;

ApiCall Call(const std::string& key, const std::string& path) {
  ApiCall c;
  c.kind = "note";
  c.method = "POST";
  c.path = path;
  c.headers = {{"Content-Type", "application/json"}, {"X-A", "1"}, {"X-A", "2"}};
  c.body = "{\"note\":\"hi \\\"there\\\"\"}";
  c.idempotency_key = key;
  c.capture_pointer = "/id";
  c.capture_as = "tag_id";
  return c;
}

int64_t Processed(Store& store, const std::string& delivery, std::vector<ApiCall> calls,
                  int64_t at_ms) {
  auto id = store.AppendEvent(MakeEvent("ic1", delivery, "conv-1"))->event_id;
  ProcessedEvent p;
  p.event_id = id;
  p.processed_ms = at_ms;
  p.calls = std::move(calls);
  EXPECT_TRUE(store.CommitProcessed(p).ok());
  return id;
}

TEST(StoreOutbox, ItemsRoundTripAndBecomeDueInIdOrder) {
  TempDir dir;
  auto store = OpenOrFail(testing::Options(dir.File("s.db")));
  ASSERT_TRUE(store);
  int64_t ev = Processed(*store, "d1", {Call("k1", "/a"), Call("k2", "/b"), Call("", "/c")}, 1000);

  EXPECT_TRUE(store->DueOutbox(999, 10)->empty());  // not due before processed_ms
  auto due = store->DueOutbox(1000, 10);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 3u);
  const OutboxItem& a = (*due)[0];
  EXPECT_EQ(a.event_id, ev);
  EXPECT_EQ(a.seq, 0);
  EXPECT_EQ(a.instance, "ic1");
  EXPECT_EQ(a.ticket_id, "conv-1");
  EXPECT_EQ(a.call.kind, "note");
  EXPECT_EQ(a.call.method, "POST");
  EXPECT_EQ(a.call.path, "/a");
  EXPECT_EQ(a.call.body, "{\"note\":\"hi \\\"there\\\"\"}");
  EXPECT_EQ(a.call.idempotency_key, "k1");
  EXPECT_EQ(a.call.capture_pointer, "/id");
  EXPECT_EQ(a.call.capture_as, "tag_id");
  ASSERT_EQ(a.call.headers.size(), 3u);
  EXPECT_EQ(a.call.headers[2].first, "X-A");
  EXPECT_EQ(a.call.headers[2].second, "2");
  EXPECT_EQ(a.state, OutboxState::kPending);
  EXPECT_EQ(a.attempts, 0);
  EXPECT_EQ(a.created_ms, 1000);
  EXPECT_EQ((*due)[1].call.path, "/b");
  EXPECT_EQ((*due)[2].call.idempotency_key, "");
  EXPECT_EQ(store->DueOutbox(1000, 2)->size(), 2u);  // limit honoured
}

TEST(StoreOutbox, UpdatesStateAndRetrySchedule) {
  TempDir dir;
  auto store = OpenOrFail(testing::Options(dir.File("s.db")));
  ASSERT_TRUE(store);
  Processed(*store, "d1", {Call("k1", "/a"), Call("k2", "/b")}, 1000);
  OutboxItem first = (*store->DueOutbox(1000, 10))[0];

  first.attempts = 1;
  first.next_attempt_ms = 5000;
  first.last_status = 503;
  first.last_error = "service unavailable";
  first.updated_ms = 1500;
  ASSERT_TRUE(store->UpdateOutbox(first).ok());
  auto due = store->DueOutbox(4999, 10);
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].call.path, "/b");
  EXPECT_EQ(store->DueOutbox(5000, 10)->size(), 2u);

  auto got = store->GetOutbox(first.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->attempts, 1);
  EXPECT_EQ(got->last_status, 503);
  EXPECT_EQ(got->last_error, "service unavailable");
  EXPECT_EQ(got->updated_ms, 1500);
  EXPECT_EQ(got->created_ms, 1000);

  first.state = OutboxState::kDead;
  first.last_error = "gave up after 1 attempt";
  ASSERT_TRUE(store->UpdateOutbox(first).ok());
  EXPECT_EQ(store->DueOutbox(1'000'000, 10)->size(), 1u);
  auto dead = store->ListOutbox(OutboxState::kDead, 10);
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ((*dead)[0].last_error, "gave up after 1 attempt");
  EXPECT_EQ(store->ListOutbox(OutboxState::kPending, 10)->size(), 1u);
  EXPECT_TRUE(store->ListOutbox(OutboxState::kDone, 10)->empty());

  OutboxItem ghost;
  ghost.id = 424242;
  EXPECT_EQ(store->UpdateOutbox(ghost).code(), Code::kNotFound);
  EXPECT_EQ(store->GetOutbox(424242).status().code(), Code::kNotFound);
  EXPECT_EQ(OutboxStateName(OutboxState::kDead), "dead");
  EXPECT_EQ(OutboxStateName(OutboxState::kDropped), "dropped");
}

TEST(StoreOutbox, ADatabaseFromBeforeTheRateLimitedCountIsMigrated) {
  TempDir dir;
  const std::string path = dir.File("s.db");
  {
    auto store = OpenOrFail(testing::Options(path));
    ASSERT_TRUE(store);
    Processed(*store, "d1", {Call("k1", "/a")}, 1000);
  }
  testing::DowngradeToSchema2(path);
  {
    // Back to schema 1, as a deskhook before this column left it.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "ALTER TABLE outbox DROP COLUMN rate_limited; UPDATE schema_version SET version = 1;",
                           nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  auto store = OpenOrFail(testing::Options(path));
  ASSERT_TRUE(store);
  OutboxItem item = (*store->DueOutbox(1000, 10)).at(0);
  EXPECT_EQ(item.rate_limited, 0);
  item.rate_limited = 7;
  ASSERT_TRUE(store->UpdateOutbox(item).ok());
  EXPECT_EQ(store->GetOutbox(item.id)->rate_limited, 7);
}

TEST(StoreOutbox, AnEventsCallIsStoredOncePerIdempotencyKey) {
  TempDir dir;
  auto store = OpenOrFail(testing::Options(dir.File("s.db")));
  ASSERT_TRUE(store);
  const int64_t ev = Processed(*store, "d1", {Call("same", "/a"), Call("same", "/a2")}, 1000);
  ProcessedEvent again;  // the same event committed again (processed a second time)
  again.event_id = ev;
  again.processed_ms = 2000;
  again.calls = {Call("same", "/a3"), Call("other", "/b"), Call("", "/c"), Call("", "/c")};
  ASSERT_TRUE(store->CommitProcessed(again).ok());
  auto mine = store->OutboxForEvent(ev);
  ASSERT_TRUE(mine.ok());
  ASSERT_EQ(mine->size(), 4u) << "'same' once, 'other' once, and both calls without a key";
  EXPECT_EQ((*mine)[0].call.idempotency_key, "same");
  EXPECT_EQ((*mine)[0].call.path, "/a");
  EXPECT_EQ((*mine)[1].call.idempotency_key, "other");
  EXPECT_EQ((*mine)[2].call.idempotency_key, "");
  EXPECT_EQ((*mine)[3].call.idempotency_key, "");
  // Keys are scoped to their event (connectors derive them from it): another event's equal key
  // is another call.
  const int64_t other = Processed(*store, "d2", {Call("same", "/a")}, 1000);
  EXPECT_EQ(store->OutboxForEvent(other)->size(), 1u);
}

TEST(StoreOutbox, AnOutboxFromBeforePerEventKeysIsMigratedIntact) {
  TempDir dir;
  const std::string path = dir.File("s.db");
  int64_t ev = 0;
  {
    auto store = OpenOrFail(testing::Options(path));
    ASSERT_TRUE(store);
    ev = Processed(*store, "d1", {Call("k1", "/a"), Call("", "/b")}, 1000);
    OutboxItem item = store->OutboxForEvent(ev)->at(0);
    item.state = OutboxState::kDead;
    item.attempts = 3;
    item.rate_limited = 2;
    item.last_error = "HTTP 422";
    ASSERT_TRUE(store->UpdateOutbox(item).ok());
  }
  testing::DowngradeToSchema4(path);
  auto store = OpenOrFail(testing::Options(path));
  ASSERT_TRUE(store);
  auto items = store->OutboxForEvent(ev);
  ASSERT_TRUE(items.ok());
  ASSERT_EQ(items->size(), 2u);
  EXPECT_EQ((*items)[0].call.idempotency_key, "k1");
  EXPECT_EQ((*items)[0].state, OutboxState::kDead);
  EXPECT_EQ((*items)[0].attempts, 3);
  EXPECT_EQ((*items)[0].rate_limited, 2);
  EXPECT_EQ((*items)[0].last_error, "HTTP 422");
  EXPECT_EQ((*items)[1].call.path, "/b");
  ProcessedEvent again;
  again.event_id = ev;
  again.calls = {Call("k1", "/a")};
  ASSERT_TRUE(store->CommitProcessed(again).ok());
  EXPECT_EQ(store->OutboxForEvent(ev)->size(), 2u) << "the migrated key still deduplicates";
  EXPECT_EQ(testing::IntegrityCheck(*store), "ok");
}

TEST(StoreOutbox, VarsAreSetOverwrittenAndScopedToEvent) {
  TempDir dir;
  auto store = OpenOrFail(testing::Options(dir.File("s.db")));
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->SetOutboxVar(7, "tag_id", "111").ok());
  ASSERT_TRUE(store->SetOutboxVar(7, "note_id", "5").ok());
  ASSERT_TRUE(store->SetOutboxVar(7, "tag_id", "222").ok());
  ASSERT_TRUE(store->SetOutboxVar(8, "tag_id", "999").ok());
  auto vars = store->OutboxVars(7);
  ASSERT_TRUE(vars.ok());
  ASSERT_EQ(vars->size(), 2u);
  EXPECT_EQ((*vars)[0], (std::pair<std::string, std::string>{"note_id", "5"}));
  EXPECT_EQ((*vars)[1], (std::pair<std::string, std::string>{"tag_id", "222"}));
  EXPECT_TRUE(store->OutboxVars(9)->empty());
  EXPECT_EQ(store->SetOutboxVar(7, "", "x").code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace deskhook
