// The HTTP intake end to end: every refusal status, nothing stored on refusal, duplicates,
// operations endpoints, the admin API, restart durability, and secrets kept out of logs.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <optional>
#include <thread>

#include <boost/json.hpp>

#include "host/config.h"
#include "host/daemon.h"
#include "host/ingest.h"
#include "host/log.h"
#include "host/metrics.h"
#include "host/store.h"
#include "test_env.h"

namespace deskhook {
namespace {
using namespace deskhook::testing;

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(); }
  void TearDown() override { daemon_.reset(); }

  void Start(const std::string& extra = "") {
    auto cfg = ParseConfig(ConfigJson(dir_.path, extra), dir_.path);
    ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
    auto d = Daemon::Create(std::move(cfg.value()));
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    daemon_ = std::move(d.value());
    ASSERT_TRUE(daemon_->Start().ok());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", daemon_->port());
    client_->set_read_timeout(10);
  }

  httplib::Result PostZendesk(const std::string& body, const std::string& delivery, int64_t now_s = 0) {
    return client_->Post("/hooks/zd", SignedHeaders(ZendeskInstance(), body, delivery, now_s), body, "application/json");
  }

  int64_t StoredEvents() {
    auto events = Admin("/api/events?limit=1000");
    return static_cast<int64_t>(boost::json::parse(events).as_array().size());
  }

  std::string Admin(const std::string& path) {
    auto res = client_->Get(path, {{"Authorization", std::string("Bearer ") + kAdminToken}});
    EXPECT_TRUE(res) << path;
    EXPECT_EQ(res->status, 200) << res->body;
    return res->body;
  }

  TempDir dir_;
  std::unique_ptr<Daemon> daemon_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(ServerTest, SignedZendeskDeliveryIsStoredAndAcknowledged) {
  auto res = PostZendesk(ZendeskTriggerBody("35436", "Where is my invoice?"), "inv-1");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_NE(res->body.find("\"stored\""), std::string::npos);
  EXPECT_EQ(StoredEvents(), 1);
}

TEST_F(ServerTest, SignedIntercomDeliveryIsStored) {
  std::string body = IntercomCreatedBody("notif_1", "2001", "Hello, how do I export data?");
  auto res = client_->Post("/hooks/ic", SignedHeaders(IntercomInstance(), body, ""), body, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(StoredEvents(), 1);
}

TEST_F(ServerTest, DuplicateDeliveryIsAcknowledgedButStoredOnce) {
  std::string body = ZendeskTriggerBody("1", "hi");
  ASSERT_EQ(PostZendesk(body, "same-invocation")->status, 200);
  auto again = PostZendesk(body, "same-invocation");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
  EXPECT_NE(again->body.find("duplicate"), std::string::npos);
  EXPECT_EQ(StoredEvents(), 1);
}

TEST_F(ServerTest, SameBodyWithoutDeliveryIdIsDedupedByHash) {
  std::string body = IntercomCreatedBody("", "2002", "same text");
  auto h = SignedHeaders(IntercomInstance(), body, "");
  ASSERT_EQ(client_->Post("/hooks/ic", h, body, "application/json")->status, 200);
  auto again = client_->Post("/hooks/ic", h, body, "application/json");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
  EXPECT_EQ(StoredEvents(), 1);
}

TEST_F(ServerTest, BadSignatureIs401AndNothingIsStored) {
  std::string body = ZendeskTriggerBody("1", "hi");
  auto headers = SignedHeaders(ZendeskInstance(), body, "d1");
  std::string tampered = body;
  tampered[tampered.size() - 3] = 'X';
  auto res = client_->Post("/hooks/zd", headers, tampered, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_NE(res->body.find("\"reason\""), std::string::npos);
  auto missing = client_->Post("/hooks/zd", body, "application/json");
  EXPECT_EQ(missing->status, 401);
  EXPECT_EQ(StoredEvents(), 0);
  EXPECT_GE(Metrics::Global().Value("deskhook_signature_failures_total", "instance=\"zd\""), 2);
}

TEST_F(ServerTest, StaleTimestampIs401) {
  auto res = PostZendesk(ZendeskTriggerBody("1", "hi"), "d2", NowS() - 3600);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_NE(res->body.find("stale"), std::string::npos) << res->body;
  EXPECT_EQ(StoredEvents(), 0);
}

TEST_F(ServerTest, OversizedBodyIs413) {
  std::string big = ZendeskTriggerBody("1", std::string(70000, 'a'));
  auto res = PostZendesk(big, "d3");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  EXPECT_NE(res->body.find("payload_too_large"), std::string::npos);
  EXPECT_EQ(StoredEvents(), 0);
}

TEST_F(ServerTest, MalformedJsonIs400) {
  std::string body = "{\"source\":\"zendesk-trigger\",\"ticket\":";
  auto res = PostZendesk(body, "d4");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(StoredEvents(), 0);
}

TEST_F(ServerTest, UnknownEventShapeIs400) {
  auto res = PostZendesk(R"({"hello":"world"})", "d5");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(StoredEvents(), 0);
}

TEST_F(ServerTest, UnknownInstanceIs404) {
  std::string body = ZendeskTriggerBody("1", "hi");
  auto res = client_->Post("/hooks/nosuch", SignedHeaders(ZendeskInstance(), body, "d6"), body, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_NE(res->body.find("unknown_instance"), std::string::npos);
  EXPECT_EQ(StoredEvents(), 0);
}

TEST_F(ServerTest, WrongContentTypeIs415) {
  std::string body = ZendeskTriggerBody("1", "hi");
  auto res = client_->Post("/hooks/zd", SignedHeaders(ZendeskInstance(), body, "d7"), body, "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 415);
  EXPECT_EQ(StoredEvents(), 0);
}

TEST_F(ServerTest, HealthReadyAndMetrics) {
  EXPECT_EQ(client_->Get("/healthz")->status, 200);
  EXPECT_EQ(client_->Get("/readyz")->status, 200);
  ASSERT_EQ(PostZendesk(ZendeskTriggerBody("9", "hi"), "m1")->status, 200);
  auto m = client_->Get("/metrics");
  ASSERT_EQ(m->status, 200);
  EXPECT_NE(m->body.find("deskhook_webhook_requests_total{instance=\"zd\",status=\"200\"}"), std::string::npos);
  EXPECT_NE(m->body.find("deskhook_ingest_seconds_bucket"), std::string::npos);
  EXPECT_NE(m->body.find("deskhook_queue_depth"), std::string::npos);
  const size_t open_at = m->body.find("\ndeskhook_http_connections_open ");
  ASSERT_NE(open_at, std::string::npos);
  EXPECT_GE(std::atof(m->body.c_str() + open_at + 32), 1.0) << "at least this request's connection";
  EXPECT_NE(m->body.find("deskhook_http_timeouts_total"), std::string::npos);
}

TEST_F(ServerTest, AdminApiNeedsTheBearerToken) {
  EXPECT_EQ(client_->Get("/api/events")->status, 401);
  EXPECT_EQ(client_->Get("/api/events", {{"Authorization", "Bearer wrong"}})->status, 401);
}

TEST_F(ServerTest, DecisionLogIsReadableByTicket) {
  ASSERT_EQ(PostZendesk(ZendeskTriggerBody("4242", "This is unacceptable, third time I ask!"), "log-1")->status, 200);
  std::string detail;
  for (int i = 0; i < 100; ++i) {  // processing is asynchronous
    auto list = boost::json::parse(Admin("/api/events?instance=zd&ticket=4242")).as_array();
    ASSERT_EQ(list.size(), 1u);
    if (list[0].as_object().at("state").as_string() != "pending") {
      detail = Admin("/api/events/" + std::to_string(list[0].as_object().at("id").as_int64()));
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_FALSE(detail.empty()) << "event was never processed";
  auto v = boost::json::parse(detail).as_object();
  EXPECT_EQ(v.at("state").as_string(), "done");
  std::vector<std::string> stages;
  for (const auto& e : v.at("decision_log").as_array()) stages.emplace_back(e.as_object().at("stage").as_string());
  EXPECT_TRUE(std::find(stages.begin(), stages.end(), "ingest") != stages.end());
  EXPECT_TRUE(std::find(stages.begin(), stages.end(), "sentiment") != stages.end());
  EXPECT_TRUE(std::find(stages.begin(), stages.end(), "decision") != stages.end());
  EXPECT_EQ(client_->Get("/api/events/999999", {{"Authorization", std::string("Bearer ") + kAdminToken}})->status, 404);
}

TEST_F(ServerTest, RestartKeepsEveryStoredEvent) {
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(PostZendesk(ZendeskTriggerBody(std::to_string(100 + i), "hi"), "r" + std::to_string(i))->status, 200);
  }
  daemon_.reset();
  Start();
  EXPECT_EQ(StoredEvents(), 20);
}

TEST_F(ServerTest, SecretsNeverReachTheLog) {
  std::string sink;
  log::SetSinkForTest(&sink);
  log::SetLevel(log::Level::kDebug);
  std::string body = ZendeskTriggerBody("1", "hi");
  client_->Post("/hooks/zd", {{"X-Zendesk-Webhook-Signature", kZendeskSecret},
                              {"X-Zendesk-Webhook-Signature-Timestamp", "2026-11-22T06:00:00Z"}},
                body, "application/json");
  log::Write(log::Level::kError, std::string("echo ") + kZendeskSecret);
  log::SetSinkForTest(nullptr);
  log::SetLevel(log::Level::kWarn);
  EXPECT_NE(sink.find("webhook refused"), std::string::npos);
  EXPECT_EQ(sink.find(kZendeskSecret), std::string::npos);
  EXPECT_NE(sink.find("[redacted]"), std::string::npos);
}

// The test config has 2 event-loop threads and 2 workers: 80 keep-alive connections, each with a
// webhook waiting for its commit at the same time, would have needed 80 threads from the old
// thread-per-connection front (the 17th waited for one to free up).
TEST_F(ServerTest, ManyConcurrentConnectionsAreAllAnsweredWithoutAThreadEach) {
  constexpr int kConnections = 80;
  std::vector<std::future<int>> answers;
  std::atomic<int> ready{0};
  for (int i = 0; i < kConnections; ++i) {
    answers.push_back(std::async(std::launch::async, [&, i] {
      httplib::Client c("127.0.0.1", daemon_->port());
      c.set_keep_alive(true);
      c.set_read_timeout(10);
      if (!c.Get("/healthz")) return -1;  // the connection is open and idle
      ready++;
      while (ready.load() < kConnections) std::this_thread::sleep_for(std::chrono::milliseconds(2));
      std::string body = ZendeskTriggerBody(std::to_string(7000 + i), "hello");
      auto res = c.Post("/hooks/zd", SignedHeaders(ZendeskInstance(), body, "many-" + std::to_string(i)), body,
                        "application/json");
      return res ? res->status : -1;
    }));
  }
  int ok = 0;
  for (auto& a : answers) ok += a.get() == 200 ? 1 : 0;
  EXPECT_EQ(ok, kConnections);
  EXPECT_EQ(StoredEvents(), kConnections);
}

// The pause switch over the admin API: webhooks are still acknowledged and stored while
// paused, none is processed, and the resume processes them.
TEST_F(ServerTest, PausedProcessingStoresWebhooksAndResumeProcessesThem) {
  const httplib::Headers auth{{"Authorization", std::string("Bearer ") + kAdminToken}};
  EXPECT_EQ(client_->Post("/api/pipeline/pause", "", "application/json")->status, 401);
  auto bad = client_->Post("/api/pipeline/pause", auth, "[1]", "application/json");
  EXPECT_EQ(bad->status, 400) << bad->body;
  auto paused = client_->Post("/api/pipeline/pause", auth, R"({"reason":"new script misroutes"})", "application/json");
  ASSERT_EQ(paused->status, 200) << paused->body;
  auto state = boost::json::parse(paused->body).as_object();
  EXPECT_EQ(state.at("paused").as_bool(), true);
  EXPECT_EQ(state.at("reason").as_string(), "new script misroutes");

  ASSERT_EQ(PostZendesk(ZendeskTriggerBody("5151", "Where is my parcel?"), "pause-1")->status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));
  auto list = boost::json::parse(Admin("/api/events?instance=zd&ticket=5151")).as_array();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].as_object().at("state").as_string(), "pending");
  state = boost::json::parse(Admin("/api/pipeline")).as_object();
  EXPECT_EQ(state.at("paused").as_bool(), true);
  EXPECT_EQ(state.at("pending").as_int64(), 1);
  EXPECT_NE(Admin("/metrics").find("deskhook_pipeline_paused 1"), std::string::npos);

  auto resumed = client_->Post("/api/pipeline/resume", auth, "", "application/json");
  ASSERT_EQ(resumed->status, 200) << resumed->body;
  EXPECT_EQ(boost::json::parse(resumed->body).as_object().at("paused").as_bool(), false);
  std::string event_state;
  for (int i = 0; i < 500 && event_state != "done"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    list = boost::json::parse(Admin("/api/events?instance=zd&ticket=5151")).as_array();
    event_state = std::string(list[0].as_object().at("state").as_string());
  }
  EXPECT_EQ(event_state, "done");
}

TEST_F(ServerTest, NoopEndpointAnswers) {
  auto res = client_->Post("/noop", "{}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

}  // namespace
}  // namespace deskhook

namespace deskhook {
namespace {
using namespace deskhook::testing;

// A store that cannot accept (full disk, simulated with max_page_count) answers 503 so the
// platform retries, and nothing is half-written.
TEST(IngestTest, FullStoreAnswers503) {
  TempDir dir;
  StoreOptions so;
  so.path = dir.path + "/full.db";
  so.max_page_count = 40;
  auto store = Store::Open(so);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto zd = MakeConnector([] {
    InstanceConfig c = ZendeskInstance();
    return c;
  }());
  ASSERT_TRUE(zd.ok());
  int stored = 0;
  Ingest ingest(store->get(), {{"zd", zd->get()}}, 1 << 20, [&](int64_t, const std::string&, const std::string&, InboundEvent&&) { ++stored; });
  int last_status = 0;
  for (int i = 0; i < 500 && last_status != 503; ++i) {
    std::string body = ZendeskTriggerBody(std::to_string(i), std::string(3000, 'x'));
    HeaderMap h;
    for (const auto& [k, v] : SignedHeaders(ZendeskInstance(), body, "full-" + std::to_string(i))) h.Add(k, v);
    h.Add("Content-Type", "application/json");
    IngestReply r = ingest.Handle("zd", h, body);
    last_status = r.status;
  }
  EXPECT_EQ(last_status, 503);
  auto count = (*store)->CountEvents();
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, stored);  // every acknowledged one is there; the refused one is not
}

}  // namespace
}  // namespace deskhook

namespace deskhook {
namespace {
using namespace deskhook::testing;

// An Ingest over a fresh store with the "zd" instance; records what OnStored received.
class IngestAsyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions so;
    so.path = dir_.path + "/s.db";
    auto store = Store::Open(so);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    auto zd = MakeConnector(ZendeskInstance());
    ASSERT_TRUE(zd.ok());
    zd_ = std::move(zd).value();
    ingest_ = std::make_unique<Ingest>(
        store_.get(), std::map<std::string, const Connector*>{{"zd", zd_.get()}}, /*body_limit=*/4096,
        [this](int64_t id, const std::string& instance, const std::string& ticket, InboundEvent&&) {
          // Runs after the commit: a reader sees the event.
          auto got = store_->GetEvent(id);
          committed_at_offer_ = got.ok() && got->instance == instance && got->ticket_id == ticket;
          stored_ids_.push_back(id);
          offered_ = true;
        });
  }

  static HeaderMap Headers(const std::string& body, const std::string& delivery,
                           const std::string& content_type = "application/json") {
    HeaderMap h;
    for (const auto& [k, v] : SignedHeaders(ZendeskInstance(), body, delivery)) h.Add(k, v);
    h.Add("Content-Type", content_type);
    return h;
  }

  // HandleAsync that must answer before returning, on this thread, exactly once.
  IngestReply Inline(std::string_view instance, const HeaderMap& h, const std::string& body) {
    std::optional<IngestReply> reply;
    int calls = 0;
    ingest_->HandleAsync(instance, h, body, [&](IngestReply r) {
      EXPECT_EQ(std::this_thread::get_id(), caller_);
      calls++;
      reply = std::move(r);
    });
    EXPECT_EQ(calls, 1);
    return reply.value_or(IngestReply{-1, "done was not called inline", 0});
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Connector> zd_;
  std::unique_ptr<Ingest> ingest_;
  const std::thread::id caller_ = std::this_thread::get_id();
  // Written by OnStored on the writer thread; read after the reply arrived.
  std::vector<int64_t> stored_ids_;
  bool committed_at_offer_ = false;
  std::atomic<bool> offered_{false};
};

TEST_F(IngestAsyncTest, RefusalsAnswerInlineAndStoreNothing) {
  const std::string body = ZendeskTriggerBody("5", "hi");
  const double unknown_before =
      Metrics::Global().Value("deskhook_webhook_requests_total", "instance=\"unknown\",status=\"404\"");
  const double sig_before = Metrics::Global().Value("deskhook_signature_failures_total", "instance=\"zd\"");

  IngestReply r = Inline("nosuch", Headers(body, "d1"), body);
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("unknown_instance"), std::string::npos);
  EXPECT_EQ(Metrics::Global().Value("deskhook_webhook_requests_total", "instance=\"unknown\",status=\"404\""),
            unknown_before + 1);

  const std::string big = ZendeskTriggerBody("5", std::string(5000, 'a'));
  r = Inline("zd", Headers(big, "d2"), big);
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(r.body.find("payload_too_large"), std::string::npos);

  r = Inline("zd", Headers(body, "d3", "text/plain"), body);
  EXPECT_EQ(r.status, 415);

  std::string tampered = body;
  tampered[tampered.size() - 3] = 'X';
  r = Inline("zd", Headers(body, "d4"), tampered);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(Metrics::Global().Value("deskhook_signature_failures_total", "instance=\"zd\""), sig_before + 1);

  const std::string malformed = "{\"source\":\"zendesk-trigger\",\"ticket\":";
  r = Inline("zd", Headers(malformed, "d5"), malformed);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.event_id, 0);

  EXPECT_FALSE(offered_);
  EXPECT_EQ(*store_->CountEvents(), 0);

  // A closed store refuses inline too (503), and stores nothing.
  store_->Close();
  r = Inline("zd", Headers(body, "d6"), body);
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("unavailable"), std::string::npos);
  EXPECT_FALSE(offered_);
}

TEST_F(IngestAsyncTest, AcceptedDeliveryCallsOnStoredAfterCommitThenDone) {
  const std::string body = ZendeskTriggerBody("35436", "Where is my invoice?");
  struct Answer {
    IngestReply reply;
    bool offered_before;
    std::thread::id thread;
  };
  auto handle = [&](const std::string& delivery) {
    std::promise<Answer> answer;
    HeaderMap h = Headers(body, delivery);
    {
      // Borrowed for the call only: the copies below die before the append completes.
      std::string body_copy = body;
      HeaderMap h_copy = h;
      ingest_->HandleAsync("zd", h_copy, body_copy, [&](IngestReply r) {
        answer.set_value({std::move(r), offered_.load(), std::this_thread::get_id()});
      });
      std::fill(body_copy.begin(), body_copy.end(), '#');
    }
    auto f = answer.get_future();
    EXPECT_EQ(f.wait_for(std::chrono::seconds(30)), std::future_status::ready);
    return f.get();
  };

  Answer first = handle("inv-1");
  EXPECT_EQ(first.reply.status, 200);
  EXPECT_TRUE(first.offered_before);  // OnStored ran before done
  EXPECT_NE(first.thread, caller_);   // on the writer thread
  ASSERT_EQ(stored_ids_.size(), 1u);
  EXPECT_TRUE(committed_at_offer_);
  EXPECT_GT(first.reply.event_id, 0);
  EXPECT_EQ(first.reply.event_id, stored_ids_[0]);
  EXPECT_EQ(first.reply.body,
            "{\"status\":\"stored\",\"event_id\":" + std::to_string(first.reply.event_id) + "}");
  auto stored = store_->GetEvent(first.reply.event_id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->body, body);  // the body was copied before the caller's buffer changed

  offered_ = false;
  Answer dup = handle("inv-1");
  EXPECT_EQ(dup.reply.status, 200);
  EXPECT_EQ(dup.reply.event_id, first.reply.event_id);
  EXPECT_NE(dup.reply.body.find("\"duplicate\""), std::string::npos);
  EXPECT_FALSE(dup.offered_before);  // no OnStored for a duplicate
  EXPECT_EQ(stored_ids_.size(), 1u);
  EXPECT_EQ(*store_->CountEvents(), 1);
}

}  // namespace
}  // namespace deskhook
