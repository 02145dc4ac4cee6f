// Inbox: append, read back, dedupe, restart; processing commits with log and outbox.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include "host/store.h"
#include "tests/host/store/store_test_util.h"

namespace deskhook {
namespace {

using testing::MakeEvent;
using testing::OpenOrFail;
using testing::TempDir;

// What an AppendEventAsync's done received, and on which thread.
struct AsyncAppended {
  Result<AppendResult> result;
  std::thread::id thread;
};

// Starts AppendEventAsync; Get() waits (at most 30 s) for its done.
class AsyncAppend {
 public:
  AsyncAppend(Store& store, NewEvent e) {
    future_ = promise_.get_future();
    store.AppendEventAsync(std::move(e), [this](Result<AppendResult> r) {
      promise_.set_value({std::move(r), std::this_thread::get_id()});
    });
  }
  AsyncAppended Get() {
    if (future_.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
      ADD_FAILURE() << "AppendEventAsync never completed";
      return {Status::Internal("timeout"), {}};
    }
    return future_.get();
  }

 private:
  std::promise<AsyncAppended> promise_;
  std::future<AsyncAppended> future_;
};

TEST(StoreEvents, AppendAndReadBack) {
  TempDir dir;
  auto store = OpenOrFail(testing::Options(dir.File("s.db")));
  ASSERT_TRUE(store);
  NewEvent e = MakeEvent("zd1", "d-1", "35436", std::string("{\"x\":\"\0bin\"}", 13));
  auto r = store->AppendEvent(e);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->duplicate);
  EXPECT_GT(r->event_id, 0);

  auto got = store->GetEvent(r->event_id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->instance, "zd1");
  EXPECT_EQ(got->ticket_id, "35436");
  EXPECT_EQ(got->kind, "ticket_created");
  EXPECT_EQ(got->dedupe_key, "d-1");
  EXPECT_EQ(got->received_ms, e.received_ms);
  EXPECT_EQ(got->body, e.body);  // binary-safe, embedded NUL kept
  EXPECT_EQ(got->body.size(), 13u);
  EXPECT_EQ(got->meta_json, e.meta_json);
  EXPECT_EQ(got->state, EventState::kPending);

  ASSERT_TRUE(store->AppendEvent(MakeEvent("zd1", "d-2", "99")).ok());
  ASSERT_TRUE(store->AppendEvent(MakeEvent("zd1", "d-3", "35436")).ok());
  EXPECT_EQ(*store->CountEvents(), 3);
  EXPECT_EQ(*store->CountPending(), 3);

  auto recent = store->RecentEvents(2);
  ASSERT_TRUE(recent.ok());
  ASSERT_EQ(recent->size(), 2u);
  EXPECT_EQ((*recent)[0].dedupe_key, "d-3");
  EXPECT_EQ((*recent)[1].dedupe_key, "d-2");

  auto ticket = store->EventsForTicket("zd1", "35436", 10);
  ASSERT_TRUE(ticket.ok());
  ASSERT_EQ(ticket->size(), 2u);
  EXPECT_EQ((*ticket)[0].dedupe_key, "d-1");
  EXPECT_EQ((*ticket)[1].dedupe_key, "d-3");

  auto pending = store->PendingEvents(r->event_id, 10);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 2u);
  EXPECT_EQ((*pending)[0].dedupe_key, "d-2");

  EXPECT_EQ(store->GetEvent(9999).status().code(), Code::kNotFound);
}

TEST(StoreEvents, RejectsEventWithoutKeyOrInstance) {
  TempDir dir;
  auto store = OpenOrFail(testing::Options(dir.File("s.db")));
  ASSERT_TRUE(store);
  EXPECT_EQ(store->AppendEvent(MakeEvent("zd1", "")).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(store->AppendEvent(MakeEvent("", "k")).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(*store->CountEvents(), 0);
}

TEST(StoreEvents, PlatformIdDuplicateIsNotStoredTwice) {
  TempDir dir;
  auto store = OpenOrFail(testing::Options(dir.File("s.db")));
  ASSERT_TRUE(store);
  auto first = store->AppendEvent(MakeEvent("zd1", "delivery-7", "1", "{\"v\":1}"));
  ASSERT_TRUE(first.ok());
  NewEvent again = MakeEvent("zd1", "delivery-7", "1", "{\"v\":2}");
  again.received_ms += 10LL * 86400 * 1000;  // platform ids dedupe forever, not per window
  auto second = store->AppendEvent(again);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->duplicate);
  EXPECT_EQ(second->event_id, first->event_id);
  EXPECT_EQ(*store->CountEvents(), 1);
  EXPECT_EQ(store->GetEvent(first->event_id)->body, "{\"v\":1}");  // the first copy is kept

  // The same delivery id on another instance is a different delivery.
  auto other = store->AppendEvent(MakeEvent("zd2", "delivery-7"));
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->duplicate);
  EXPECT_EQ(*store->CountEvents(), 2);
}

TEST(StoreEvents, AppendEventAsyncCompletesOnTheWriterThreadAfterCommit) {
  TempDir dir;
  auto store = OpenOrFail(testing::Options(dir.File("s.db")));
  ASSERT_TRUE(store);
  std::promise<std::pair<bool, std::thread::id>> seen;
  store->AppendEventAsync(MakeEvent("zd", "a-1", "77"), [&](Result<AppendResult> r) {
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_FALSE(r->duplicate);
    // Read on a reader connection, which sees committed transactions only.
    auto got = store->GetEvent(r->event_id);
    seen.set_value({got.ok() && got->ticket_id == "77", std::this_thread::get_id()});
  });
  auto f = seen.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  auto [visible, thread] = f.get();
  EXPECT_TRUE(visible);
  EXPECT_NE(thread, std::this_thread::get_id());
  EXPECT_EQ(*store->CountEvents(), 1);
}

TEST(StoreEvents, AppendEventAsyncDuplicateReportsTheFirstId) {
  TempDir dir;
  auto store = OpenOrFail(testing::Options(dir.File("s.db")));
  ASSERT_TRUE(store);
  AsyncAppended first = AsyncAppend(*store, MakeEvent("zd", "inv-1")).Get();
  ASSERT_TRUE(first.result.ok()) << first.result.status().ToString();
  EXPECT_FALSE(first.result->duplicate);
  AsyncAppended again = AsyncAppend(*store, MakeEvent("zd", "inv-1", "T1", "{\"other\":1}")).Get();
  ASSERT_TRUE(again.result.ok());
  EXPECT_TRUE(again.result->duplicate);
  EXPECT_EQ(again.result->event_id, first.result->event_id);

  // Body hash, both in flight at once (likely one transaction): the second sees the first.
  NewEvent h = MakeEvent("zd", "sha256:abc");
  h.dedupe_by_hash = true;
  AsyncAppend a(*store, h), b(*store, h);
  AsyncAppended ha = a.Get(), hb = b.Get();
  ASSERT_TRUE(ha.result.ok() && hb.result.ok());
  EXPECT_FALSE(ha.result->duplicate);
  EXPECT_TRUE(hb.result->duplicate);
  EXPECT_EQ(hb.result->event_id, ha.result->event_id);
  // The blocking and asynchronous appends dedupe against each other.
  auto blocking = store->AppendEvent(MakeEvent("zd", "inv-1"));
  ASSERT_TRUE(blocking.ok());
  EXPECT_TRUE(blocking->duplicate);
  EXPECT_EQ(blocking->event_id, first.result->event_id);
  EXPECT_EQ(*store->CountEvents(), 2);
}

TEST(StoreEvents, AppendEventAsyncAnswersInlineWhenInvalidOrClosed) {
  TempDir dir;
  auto store = OpenOrFail(testing::Options(dir.File("s.db")));
  ASSERT_TRUE(store);
  std::optional<Status> got;
  std::thread::id thread;
  auto record = [&](Result<AppendResult> r) {
    got = r.status();
    thread = std::this_thread::get_id();
  };
  store->AppendEventAsync(MakeEvent("zd", ""), record);
  ASSERT_TRUE(got.has_value());  // set before AppendEventAsync returned
  EXPECT_EQ(got->code(), Code::kInvalidArgument);
  EXPECT_EQ(thread, std::this_thread::get_id());

  store->Close();
  got.reset();
  thread = {};
  store->AppendEventAsync(MakeEvent("zd", "after-close"), record);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->code(), Code::kUnavailable);
  EXPECT_EQ(thread, std::this_thread::get_id());
}

TEST(StoreEvents, BodyHashDedupesOnlyWithinWindow) {
  TempDir dir;
  auto store = OpenOrFail(testing::Options(dir.File("s.db"), 60));
  ASSERT_TRUE(store);
  NewEvent e = MakeEvent("ic1", "sha256:abc");
  e.dedupe_by_hash = true;
  const int64_t t0 = e.received_ms;
  auto first = store->AppendEvent(e);
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->duplicate);

  e.received_ms = t0 + 59'000;
  auto within = store->AppendEvent(e);
  ASSERT_TRUE(within.ok());
  EXPECT_TRUE(within->duplicate);
  EXPECT_EQ(within->event_id, first->event_id);
  EXPECT_EQ(*store->CountEvents(), 1);

  e.received_ms = t0 + 61'000;  // outside the window: a new, legitimate event
  auto after = store->AppendEvent(e);
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after->duplicate);
  EXPECT_NE(after->event_id, first->event_id);
  EXPECT_EQ(*store->CountEvents(), 2);

  e.received_ms = t0 + 70'000;  // the window now runs from the second copy
  auto again = store->AppendEvent(e);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->event_id, after->event_id);
  EXPECT_EQ(*store->CountEvents(), 2);
}

TEST(StoreEvents, RestartKeepsEveryStoredEvent) {
  TempDir dir;
  std::vector<int64_t> ids;
  {
    auto store = OpenOrFail(testing::Options(dir.File("s.db")));
    ASSERT_TRUE(store);
    for (int i = 0; i < 300; ++i) {
      auto r = store->AppendEvent(MakeEvent("zd1", "k" + std::to_string(i), "t",
                                            "body-" + std::to_string(i)));
      ASSERT_TRUE(r.ok());
      ids.push_back(r->event_id);
    }
  }
  auto store = OpenOrFail(testing::Options(dir.File("s.db")));
  ASSERT_TRUE(store);
  EXPECT_EQ(*store->CountEvents(), 300);
  for (int i = 0; i < 300; ++i) {
    auto e = store->GetEvent(ids[i]);
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e->dedupe_key, "k" + std::to_string(i));
    EXPECT_EQ(e->body, "body-" + std::to_string(i));
  }
  // Dedupe survives the restart too.
  auto dup = store->AppendEvent(MakeEvent("zd1", "k5"));
  ASSERT_TRUE(dup.ok());
  EXPECT_TRUE(dup->duplicate);
  EXPECT_EQ(dup->event_id, ids[5]);
  EXPECT_EQ(testing::IntegrityCheck(*store), "ok");
}

TEST(StoreEvents, BodiesAndSentimentFromOlderSchemasAreMigratedIntact) {
  TempDir dir;
  const std::string path = dir.File("s.db");
  std::vector<int64_t> ids;
  {
    auto store = OpenOrFail(testing::Options(path));
    ASSERT_TRUE(store);
    for (int i = 0; i < 50; ++i) {
      auto r = store->AppendEvent(MakeEvent("zd1", "k" + std::to_string(i), "t" + std::to_string(i % 3),
                                            std::string("body\0-", 6) + std::to_string(i)));
      ASSERT_TRUE(r.ok());
      ids.push_back(r->event_id);
    }
    ProcessedEvent p;
    p.event_id = ids[0];
    p.sentiment = {-0.25, 0.1 + 0.2};
    ASSERT_TRUE(store->CommitProcessed(p).ok());
    ASSERT_TRUE(store->AppendSentiment(ids[3], {0.75}).ok());  // ticket t0 as well
  }
  testing::DowngradeToSchema2(path);  // as a deskhook before migrations 3 and 4 left it
  auto store = OpenOrFail(testing::Options(path));
  ASSERT_TRUE(store);
  EXPECT_EQ(testing::CountRows(*store, "event_bodies"), 50);
  for (int i = 0; i < 50; ++i) {
    auto e = store->GetEvent(ids[i]);
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e->body, std::string("body\0-", 6) + std::to_string(i));
    EXPECT_EQ(e->ticket_id, "t" + std::to_string(i % 3));
  }
  EXPECT_EQ(store->GetEvent(ids[0])->state, EventState::kDone);
  // SQLite's JSON keeps 15 significant digits: 0.30000000000000004 comes back as 0.3.
  EXPECT_EQ(*store->SentimentHistory("zd1", "t0"), (std::vector<double>{-0.25, 0.3, 0.75}));
  EXPECT_TRUE(store->SentimentHistory("zd1", "t1")->empty());
  EXPECT_EQ(*store->CountPending(), 49);
  EXPECT_EQ(store->EventsForTicket("zd1", "t1", 100)->size(), 17u);
  auto next = store->AppendEvent(MakeEvent("zd1", "k-new", "t1", "new body"));
  ASSERT_TRUE(next.ok());
  EXPECT_GT(next->event_id, ids.back());
  EXPECT_EQ(store->GetEvent(next->event_id)->body, "new body");
  EXPECT_TRUE(store->AppendEvent(MakeEvent("zd1", "k7"))->duplicate);
  EXPECT_EQ(testing::IntegrityCheck(*store), "ok");
}

// A checkpoint runs once the WAL holds checkpoint_pages pages, on its own thread.
TEST(StoreEvents, CheckpointPagesSetsHowOftenTheWalIsCopied) {
  auto checkpoints_after_writes = [](int checkpoint_pages) -> int64_t {
    TempDir dir;
    StoreOptions o = testing::Options(dir.File("s.db"));
    o.checkpoint_pages = checkpoint_pages;
    auto store = OpenOrFail(o);
    if (!store) return -1;
    for (int i = 0; i < 300; ++i) {  // one commit each, ~2 pages per commit
      EXPECT_TRUE(store->AppendEvent(MakeEvent("zd1", "k" + std::to_string(i), "t", std::string(4000, 'x'))).ok());
    }
    // The first is due after ~50 commits; a store that should not checkpoint gets 300 ms.
    const int patience_ms = checkpoint_pages < 1000 ? 5000 : 300;
    for (int wait_ms = 0; wait_ms < patience_ms && store->Stats().checkpoints == 0; wait_ms += 10) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return store->Stats().checkpoints;
  };
  EXPECT_GE(checkpoints_after_writes(100), 1);
  EXPECT_EQ(checkpoints_after_writes(1'000'000), 0);
  StoreOptions bad = testing::Options("/tmp/never-created.db");
  bad.checkpoint_pages = 0;
  EXPECT_EQ(Store::Open(bad).status().code(), Code::kInvalidArgument);
}

// Under steady writes (and reads), the WAL is copied every checkpoint_pages pages and then
// started over, so its file stays about that size: a checkpoint that merely kept pace left the
// WAL growing (SQLite restarts it only when a write transaction begins with all of it copied).
TEST(StoreEvents, SteadyWritesKeepTheWalBounded) {
  TempDir dir;
  StoreOptions o = testing::Options(dir.File("s.db"));
  o.checkpoint_pages = 100;
  auto store = OpenOrFail(o);
  ASSERT_TRUE(store);
  std::atomic<bool> done{false};
  std::thread reader([&] {
    while (!done.load()) (void)store->CountPending();
  });
  const int kCommits = 1500;  // ~2 pages each: ~30 times checkpoint_pages
  for (int i = 0; i < kCommits; ++i) {
    ASSERT_TRUE(store->AppendEvent(MakeEvent("zd1", "k" + std::to_string(i), "t", std::string(4000, 'x'))).ok());
  }
  done.store(true);
  reader.join();
  const StoreStats stats = store->Stats();
  EXPECT_GE(stats.wal_restarts, 5);
  // One checkpoint per ~100 pages written (a few passes each), not one after every commit.
  EXPECT_LE(stats.checkpoints, kCommits / 4) << stats.wal_restarts << " restarts";
  const auto wal_bytes = std::filesystem::file_size(dir.File("s.db") + "-wal");
  // checkpoint_pages is 400 KB; without restarts the WAL would reach ~45 MB here.
  EXPECT_LT(wal_bytes, 8u << 20) << "the WAL grew to " << wal_bytes << " bytes";
  EXPECT_EQ(*store->CountEvents(), kCommits);
}

ApiCall MakeCall(const std::string& key, const std::string& body) {
  ApiCall c;
  c.kind = "tag";
  c.method = "PUT";
  c.path = "/api/v2/tickets/1";
  c.headers = {{"Content-Type", "application/json"}, {"X-Trace", "a"}};
  c.body = body;
  c.idempotency_key = key;
  return c;
}

TEST(StoreEvents, CommitProcessedWritesStateLogAndOutboxTogether) {
  TempDir dir;
  auto store = OpenOrFail(testing::Options(dir.File("s.db")));
  ASSERT_TRUE(store);
  auto id = store->AppendEvent(MakeEvent("zd1", "k1", "T9"))->event_id;
  ASSERT_TRUE(store->AppendLog({{id, "ingest", "{\"ok\":true}", 10}}).ok());

  ProcessedEvent p;
  p.event_id = id;
  p.state = EventState::kDone;
  p.processed_ms = 1234;
  p.log = {{id, "sentiment", "{\"c\":-0.5}", 11}, {id, "decision", "{\"tags\":[\"x\"]}", 12}};
  p.calls = {MakeCall("idem-1", "{\"a\":1}"), MakeCall("idem-2", "{\"b\":2}")};
  ASSERT_TRUE(store->CommitProcessed(p).ok());

  auto e = store->GetEvent(id);
  EXPECT_EQ(e->state, EventState::kDone);
  EXPECT_EQ(e->processed_ms, 1234);
  EXPECT_EQ(*store->CountPending(), 0);
  EXPECT_TRUE(store->PendingEvents(0, 10)->empty());

  auto log = store->LogFor(id);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 3u);
  EXPECT_EQ((*log)[0].stage, "ingest");
  EXPECT_EQ((*log)[1].stage, "sentiment");
  EXPECT_EQ((*log)[2].stage, "decision");
  EXPECT_EQ((*log)[2].record_json, "{\"tags\":[\"x\"]}");
  EXPECT_EQ((*log)[2].time_ms, 12);

  auto out = store->ListOutbox(std::nullopt, 10);
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[0].seq, 0);  // id order
  EXPECT_EQ((*out)[1].seq, 1);
  EXPECT_EQ((*out)[0].call.idempotency_key, "idem-1");
  EXPECT_EQ((*out)[0].ticket_id, "T9");
  EXPECT_EQ((*out)[0].next_attempt_ms, 1234);
}

TEST(StoreEvents, FailedCommitProcessedChangesNothing) {
  TempDir dir;
  auto store = OpenOrFail(testing::Options(dir.File("s.db")));
  ASSERT_TRUE(store);
  auto id = store->AppendEvent(MakeEvent("zd1", "k1"))->event_id;

  ProcessedEvent unknown;
  unknown.event_id = id + 100;
  unknown.log = {{id + 100, "decision", "{}", 1}};
  EXPECT_EQ(store->CommitProcessed(unknown).code(), Code::kNotFound);

  // Fails after the state update, the first log entry and... : all of it must roll back.
  ProcessedEvent bad;
  bad.event_id = id;
  bad.log = {{id, "decision", "{}", 1}, {id, "", "{}", 2}};  // second entry has no stage
  bad.calls = {MakeCall("idem-x", "{}")};
  EXPECT_EQ(store->CommitProcessed(bad).code(), Code::kInvalidArgument);

  EXPECT_EQ(store->GetEvent(id)->state, EventState::kPending);
  EXPECT_TRUE(store->LogFor(id)->empty());
  EXPECT_TRUE(store->LogFor(id + 100)->empty());
  EXPECT_TRUE(store->ListOutbox(std::nullopt, 10)->empty());
}

}  // namespace
}  // namespace deskhook
