// The pipeline takes a delivery as ingest normalised it (no second read and parse of the stored
// body) and falls back to the stored body otherwise; both give the same decision log. The log
// records are written as text and must stay what boost::json::serialize prints.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <regex>
#include <thread>

#include <boost/json.hpp>

#include "connectors/connector.h"
#include "host/event_processor.h"
#include "host/metrics.h"
#include "host/pipeline.h"
#include "scripts/json_writer.h"
#include "sentiment/sentiment.h"
#include "tests/host/store/store_test_util.h"
#include "tests/host/zendesk_instance.h"

namespace deskhook {
namespace {

namespace json = boost::json;
using testing::OpenOrFail;
using testing::TempDir;

std::string ZendeskBody(const std::string& ticket, const std::string& text) {
  return R"({"source":"zendesk-trigger","event":"ticket.created","ticket":{"id":")" + ticket +
         R"(","subject":"Help","description":")" + text + R"(","latest_comment":")" + text +
         R"(","status":"new","priority":"normal","type":"question","tags":"vip, billing","via":"Web form",)"
         R"("created_at":"2026-11-22T09:00:00Z","updated_at":"2026-11-22T09:00:00Z","url":"https://acme.zendesk.com/agent/tickets/1",)"
         R"("requester":{"id":"9001","name":"Dana \"D\" O'Neil","email":"dana@example.com"},"assignee":{"id":"","name":"","email":""},)"
         R"("group":{"id":"","name":""},"brand":"Acme"}})";
}

constexpr char kAngry[] =
    "This is the third time my card was charged twice. Unacceptable! Nobody answers, I want a refund.";

// `text` (boost::json::serialize output) with every double it prints ("-8.832E-1") written the
// way the decision log writes scores ("-0.8832"), so the two texts can be compared exactly.
std::string AsDecisionLogScores(const std::string& text) {
  static const std::regex kDouble(R"(-?[0-9](\.[0-9]+)?E-?[0-9]+)");
  std::string out;
  auto last = text.cbegin();
  for (std::sregex_iterator it(text.begin(), text.end(), kDouble), end; it != end; ++it) {
    out.append(last, (*it)[0].first);
    scripts::jsonw::Score(&out, std::stod((*it)[0].str()));
    last = (*it)[0].second;
  }
  out.append(last, text.cend());
  return out;
}

// `record` with the value of "micros" (wall time of a script run) blanked.
std::string WithoutMicros(std::string record) {
  const std::string key = "\"micros\":";
  size_t at = record.find(key);
  if (at == std::string::npos) return record;
  size_t end = record.find_first_of(",}", at + key.size());
  return record.erase(at + key.size(), end - at - key.size());
}

class ProcessorHandoffTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = OpenOrFail(testing::Options(dir_.File("s.db")));
    ASSERT_TRUE(store_);
    const std::string examples = std::string(DESKHOOK_SOURCE_DIR) + "/examples/scripts";
    for (const char* s : {"wants_human.lua", "vip_requesters.lua", "escalate_frustration.lua", "churn_risk.lua",
                          "route_by_topic.lua"}) {
      scripts_.script_paths.push_back(examples + "/" + s);
    }
    scripts_.module_dir = examples;
    connector_ = std::move(MakeConnector(testing::ZendeskInstance()).value());
    std::string error;
    scorer_ = sentiment::Scorer::Create(sentiment::Options{}, &error);
    ASSERT_NE(scorer_, nullptr) << error;
  }
  std::unique_ptr<EventProcessor> Processor() {
    auto p = EventProcessor::Create(scripts_, store_.get(), scorer_.get(), nullptr);
    EXPECT_TRUE(p.ok()) << p.status().message();
    return std::move(p.value());
  }
  // Stores a delivery the way ingest does (meta_json records the delivery id of the header).
  StoredEvent Append(const std::string& ticket, const std::string& delivery_id, const std::string& body) {
    NewEvent e = testing::MakeEvent("zd", delivery_id, ticket, body);
    e.meta_json = R"({"topic":"ticket.created","delivery_id":")" + delivery_id + R"(","actor_id":""})";
    const int64_t id = store_->AppendEvent(e).value().event_id;
    return store_->GetEvent(id).value();
  }
  InboundEvent ParseAtIngest(const std::string& body, const std::string& delivery_id) {
    HeaderMap headers{{"X-Zendesk-Webhook-Invocation-Id", delivery_id}, {"Content-Type", "application/json"}};
    return connector_->Parse(headers, body).value();
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  scripts::RuntimeConfig scripts_;
  std::unique_ptr<Connector> connector_;
  std::unique_ptr<sentiment::Scorer> scorer_;
};

TEST_F(ProcessorHandoffTest, HandedOverEventGivesTheSameLogAsTheStoredBody) {
  const std::string body = ZendeskBody("501", kAngry);
  const StoredEvent stored = Append("501", "inv-501", body);
  InboundEvent normalised = ParseAtIngest(body, "inv-501");
  ProcessedEvent from_store = Processor()->Process(stored, connector_.get(), 1'000);
  ProcessedEvent handed = Processor()->Process(stored, connector_.get(), 1'000, &normalised);
  EXPECT_EQ(from_store.state, EventState::kDone);
  ASSERT_EQ(from_store.log.size(), handed.log.size());
  ASSERT_GE(from_store.log.size(), 8u);  // ingest, sentiment, 5 scripts, decision
  for (size_t i = 0; i < handed.log.size(); ++i) {
    EXPECT_EQ(from_store.log[i].stage, handed.log[i].stage);
    EXPECT_EQ(WithoutMicros(from_store.log[i].record_json), WithoutMicros(handed.log[i].record_json));
  }
  ASSERT_EQ(from_store.calls.size(), handed.calls.size());
  ASSERT_FALSE(handed.calls.empty());
  EXPECT_EQ(from_store.calls[0].body, handed.calls[0].body);
  EXPECT_EQ(from_store.calls[0].idempotency_key, handed.calls[0].idempotency_key);
  EXPECT_EQ(from_store.sentiment, handed.sentiment);
  // The stored body carries no delivery id; the store path takes the one ingest recorded.
  auto ingest = json::parse(from_store.log[0].record_json).as_object();
  EXPECT_EQ(ingest.at("delivery_id").as_string(), "inv-501");
}

TEST_F(ProcessorHandoffTest, StorePathWithoutRecordedIdKeepsTheBodysId) {
  NewEvent e = testing::MakeEvent("zd", "k-1", "502", ZendeskBody("502", "Where is my order?"));
  e.meta_json = "";  // an event stored before meta_json existed
  const int64_t id = store_->AppendEvent(e).value().event_id;
  ProcessedEvent p = Processor()->Process(store_->GetEvent(id).value(), connector_.get(), 1'000);
  ASSERT_FALSE(p.log.empty());
  EXPECT_EQ(json::parse(p.log[0].record_json).as_object().at("delivery_id").as_string(), "");
  EXPECT_EQ(p.state, EventState::kDone);
}

TEST_F(ProcessorHandoffTest, DecisionLogRecordsAreWhatBoostJsonPrintsWithScoresRounded) {
  const StoredEvent stored = Append("503", "inv-503", ZendeskBody("503", kAngry));
  ProcessedEvent p = Processor()->Process(stored, connector_.get(), 1'000);
  const std::map<std::string, std::vector<std::string>> keys = {
      {"ingest", {"kind", "topic", "delivery_id", "received_ms", "ticket"}},
      {"sentiment", {"messages", "trend", "reasons"}},
      {"script", {"script", "version", "handler", "inputs", "outcome", "reason", "decided", "logs", "instructions", "micros"}},
      {"decision", {"decisions", "fallback_applied", "faq_drafts_proposed", "reasons", "calls"}},
  };
  for (const auto& entry : p.log) {
    json::value v = json::parse(entry.record_json);
    EXPECT_EQ(AsDecisionLogScores(json::serialize(v)), entry.record_json) << entry.stage;
    std::vector<std::string> got;
    for (const auto& kv : v.as_object()) got.emplace_back(kv.key());
    ASSERT_TRUE(keys.count(entry.stage)) << entry.stage;
    EXPECT_EQ(got, keys.at(entry.stage)) << entry.stage;
    if (entry.stage == "script") {
      EXPECT_TRUE(v.at("inputs").is_object());
      EXPECT_TRUE(v.at("decided").is_array());
    }
  }
  auto ingest = json::parse(p.log[0].record_json);
  EXPECT_EQ(ingest.at("ticket").at("requester").at("name").as_string(), "Dana \"D\" O'Neil");
  auto tags = ingest.at("ticket").at("tags").as_array();
  EXPECT_EQ(tags.size(), 2u);
  auto sentiment = json::parse(p.log[1].record_json);
  EXPECT_LT(sentiment.at("messages").at(0).at("compound").as_double(), -0.5);
  EXPECT_FALSE(sentiment.at("reasons").as_array().empty());
  auto decision = json::parse(p.log.back().record_json);
  EXPECT_EQ(decision.at("calls").as_array().size(), p.calls.size());
  EXPECT_EQ(decision.at("calls").at(0).at("body").as_string(), p.calls[0].body);
  EXPECT_EQ(decision.at("reasons"), sentiment.at("reasons"));
}

int TrendMessages(const ProcessedEvent& p) {
  for (const auto& l : p.log) {
    if (l.stage == "sentiment") return static_cast<int>(json::parse(l.record_json).at("trend").at("messages").as_int64());
  }
  return -1;
}

TEST_F(ProcessorHandoffTest, HistoryReadByTheCallerIsUsedForItsTicketOnly) {
  const StoredEvent earlier = Append("701", "inv-700", ZendeskBody("701", kAngry));
  ASSERT_TRUE(store_->AppendSentiment(earlier.id, {-0.5}).ok());
  const StoredEvent stored = Append("701", "inv-701", ZendeskBody("701", kAngry));
  EXPECT_EQ(TrendMessages(Processor()->Process(stored, connector_.get(), 1'000)), 2) << "read from the store";
  const std::vector<double> prefetched = {-0.5, -0.6, -0.7};
  EXPECT_EQ(TrendMessages(Processor()->Process(stored, connector_.get(), 1'000, nullptr, &prefetched)), 4);
  StoredEvent other = stored;
  other.ticket_id = "702";  // the caller read another ticket's history: not used
  EXPECT_EQ(TrendMessages(Processor()->Process(other, connector_.get(), 1'000, nullptr, &prefetched)), 2);

  auto both = store_->SentimentHistories({{"zd", "701"}, {"zd", "nope"}, {"other", "701"}});
  ASSERT_TRUE(both.ok());
  ASSERT_EQ(both->size(), 3u);
  EXPECT_EQ((*both)[0], std::vector<double>{-0.5});
  EXPECT_TRUE((*both)[1].empty());
  EXPECT_TRUE((*both)[2].empty());
}

TEST_F(ProcessorHandoffTest, PipelineSeesTheHistoryOfTheTicketsEarlierEvents) {
  std::vector<int64_t> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(Append("801", "inv-801-" + std::to_string(i), ZendeskBody("801", kAngry)).id);
  ids.push_back(Append("802", "inv-802", ZendeskBody("802", kAngry)).id);
  PipelineOptions po;
  po.workers = 1;
  po.scripts = scripts_;
  Pipeline pipeline(po, store_.get(), {{"zd", connector_.get()}}, scorer_.get(), ProcessorHooks{});
  ASSERT_TRUE(pipeline.Start().ok());
  pipeline.Drain(std::chrono::seconds(20));
  pipeline.Stop();
  std::vector<int> messages;
  for (int64_t id : ids) {
    const std::vector<LogEntry> log = store_->LogFor(id).value();
    for (const auto& l : log) {
      if (l.stage == "sentiment") messages.push_back(static_cast<int>(json::parse(l.record_json).at("trend").at("messages").as_int64()));
    }
  }
  EXPECT_EQ(messages, (std::vector<int>{1, 2, 3, 1}));
}

// The worker's cache of sentiment histories gives every event the trend the store would: the
// same pipeline run with the cache and without it (always the store) logs the same sentiment.
TEST_F(ProcessorHandoffTest, CachedSentimentHistoriesGiveTheTrendsTheStoreGives) {
  const char* texts[] = {kAngry, "Thanks, that fixed it, great service!", "Still waiting. This is ridiculous.",
                         "ok", "Nobody answers, this is the worst support ever."};
  auto run = [&](std::unique_ptr<Store>& store, size_t cache_tickets, std::vector<std::string>* records) {
    PipelineOptions po;
    po.workers = 2;
    po.scripts = scripts_;
    po.sentiment_cache_tickets = cache_tickets;
    Pipeline pipeline(po, store.get(), {{"zd", connector_.get()}}, scorer_.get(), ProcessorHooks{});
    ASSERT_TRUE(pipeline.Start().ok());
    std::vector<int64_t> ids;
    // Rounds appended while the pipeline runs, so later events find their ticket in the cache.
    for (int round = 0; round < 6; ++round) {
      for (int t = 0; t < 3; ++t) {
        const std::string ticket = std::to_string(900 + t);
        NewEvent e = testing::MakeEvent("zd", "inv-" + ticket + "-" + std::to_string(round), ticket,
                                        ZendeskBody(ticket, texts[(round + t) % 5]));
        ids.push_back(store->AppendEvent(e).value().event_id);
      }
      pipeline.Notify();
      pipeline.Drain(std::chrono::seconds(20));
    }
    pipeline.Stop();
    for (int64_t id : ids) {
      const std::vector<LogEntry> log = store->LogFor(id).value();
      for (const auto& l : log) {
        if (l.stage == "sentiment") records->push_back(l.record_json);
      }
    }
  };
  const double hits_before = Metrics::Global().Value("deskhook_pipeline_sentiment_cache_total", "result=\"hit\"");
  std::vector<std::string> cached, uncached;
  run(store_, 8192, &cached);
  const double hits = Metrics::Global().Value("deskhook_pipeline_sentiment_cache_total", "result=\"hit\"") - hits_before;
  std::unique_ptr<Store> other = OpenOrFail(testing::Options(dir_.File("uncached.db")));
  ASSERT_TRUE(other);
  run(other, 0, &uncached);
  const double hits_uncached =
      Metrics::Global().Value("deskhook_pipeline_sentiment_cache_total", "result=\"hit\"") - hits_before - hits;
  ASSERT_EQ(cached.size(), 18u);
  EXPECT_EQ(cached, uncached);
  EXPECT_GE(hits, 15) << "rounds 2 to 6 should find their tickets cached";
  EXPECT_EQ(hits_uncached, 0);
  // The last round's trend covers all six messages of its ticket.
  EXPECT_EQ(json::parse(cached.back()).at("trend").at("messages").as_int64(), 6);
}

std::unique_ptr<InboundEvent> EventFor(const std::string& ticket, size_t body_bytes = 10) {
  auto e = std::make_unique<InboundEvent>();
  e->ticket.id = ticket;
  Message m;
  m.body = std::string(body_bytes, 'x');
  e->ticket.messages.push_back(std::move(m));
  return e;
}

TEST(NormalisedHandoffTest, TakesWhatWasOfferedForTheSameEventOnce) {
  NormalisedHandoff h(1 << 20);
  EXPECT_TRUE(h.Offer(5, "zd", EventFor("T5")));
  EXPECT_GT(h.bytes(), 0u);
  EXPECT_EQ(h.Take(4, "zd", "T4"), nullptr);
  auto e = h.Take(5, "zd", "T5");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->ticket.id, "T5");
  EXPECT_EQ(h.Take(5, "zd", "T5"), nullptr);
  EXPECT_EQ(h.bytes(), 0u);
  EXPECT_EQ(h.size(), 0u);
}

TEST(NormalisedHandoffTest, AnEntryForAnotherInstanceOrTicketIsNotUsed) {
  NormalisedHandoff h(1 << 20);
  ASSERT_TRUE(h.Offer(7, "zd", EventFor("T7")));
  ASSERT_TRUE(h.Offer(8, "zd", EventFor("T8")));
  EXPECT_EQ(h.Take(7, "other", "T7"), nullptr);
  EXPECT_EQ(h.Take(8, "zd", "T9"), nullptr);
  EXPECT_EQ(h.size(), 0u);
  EXPECT_EQ(h.bytes(), 0u);
}

TEST(NormalisedHandoffTest, BoundedByBytes) {
  const size_t one = NormalisedHandoff::ApproxBytes(*EventFor("T1", 1000)) + 16;
  EXPECT_GT(one, 1000u);
  NormalisedHandoff h(3 * one);
  int accepted = 0;
  for (int id = 1; id <= 10; ++id) accepted += h.Offer(id, "zd", EventFor("T" + std::to_string(id), 1000)) ? 1 : 0;
  EXPECT_EQ(accepted, 3);
  EXPECT_LE(h.bytes(), 3 * one);
  EXPECT_NE(h.Take(1, "zd", "T1"), nullptr);
  EXPECT_EQ(h.Take(4, "zd", "T4"), nullptr) << "dropped when it did not fit";
  EXPECT_EQ(h.size(), 0u) << "entries below a taken id (2, 3) can never be taken: dropped";
  EXPECT_EQ(h.bytes(), 0u);
  EXPECT_TRUE(h.Offer(11, "zd", EventFor("T11", 1000))) << "room again";
}

TEST(NormalisedHandoffTest, AnOfferAfterTheDispatcherPassedItsIdIsDropped) {
  NormalisedHandoff h(1 << 20);
  EXPECT_EQ(h.Take(10, "zd", "T10"), nullptr);  // dispatched before the offer arrived
  EXPECT_FALSE(h.Offer(10, "zd", EventFor("T10")));
  EXPECT_FALSE(h.Offer(9, "zd", EventFor("T9")));
  EXPECT_TRUE(h.Offer(11, "zd", EventFor("T11")));
  EXPECT_EQ(h.size(), 1u);
}

TEST_F(ProcessorHandoffTest, PipelineUsesHandedOverEventsAndReadsTheRestFromTheStore) {
  Metrics::Global().ResetForTest();
  // Two events wait in the store from "an earlier run"; two more arrive with a hand-off whose
  // subject differs from the stored body, so the log shows which one the worker used.
  std::vector<int64_t> ids;
  for (const char* t : {"601", "602", "603", "604"}) ids.push_back(Append(t, std::string("inv-") + t, ZendeskBody(t, "Hi")).id);
  PipelineOptions po;
  po.workers = 1;
  po.scripts = scripts_;
  Pipeline pipeline(po, store_.get(), {{"zd", connector_.get()}}, scorer_.get(), ProcessorHooks{});
  for (int i : {2, 3}) {
    InboundEvent e = ParseAtIngest(ZendeskBody(std::to_string(601 + i), "Hi"), "inv-" + std::to_string(601 + i));
    e.ticket.subject = "from the hand-off";
    pipeline.Offer(ids[i], "zd", std::move(e));
  }
  ASSERT_TRUE(pipeline.Start().ok());
  pipeline.Drain(std::chrono::seconds(20));
  pipeline.Stop();
  ASSERT_EQ(pipeline.processed(), 4);
  for (int i = 0; i < 4; ++i) {
    auto log = store_->LogFor(ids[i]).value();
    ASSERT_FALSE(log.empty());
    auto ingest = json::parse(log[0].record_json);
    EXPECT_EQ(ingest.at("ticket").at("subject").as_string(), i < 2 ? "Help" : "from the hand-off") << i;
    EXPECT_EQ(ingest.at("delivery_id").as_string(), "inv-" + std::to_string(601 + i));
    EXPECT_EQ(store_->GetEvent(ids[i]).value().state, EventState::kDone);
  }
  EXPECT_EQ(Metrics::Global().Value("deskhook_pipeline_handoff_total", "result=\"hit\""), 2);
  EXPECT_EQ(Metrics::Global().Value("deskhook_pipeline_handoff_total", "result=\"miss\""), 2);
}

}  // namespace
}  // namespace deskhook
