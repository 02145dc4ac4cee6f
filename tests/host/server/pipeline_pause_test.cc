// The pause switch: while paused nothing is processed (events stay pending in the store, in
// order); a resume processes them all; the pause survives a restart; drain does not wait for a
// paused pipeline.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "connectors/connector.h"
#include "host/pipeline.h"
#include "sentiment/sentiment.h"
#include "tests/host/store/store_test_util.h"
#include "tests/host/zendesk_instance.h"

namespace deskhook {
namespace {

using testing::OpenOrFail;
using testing::TempDir;

using testing::ZendeskTicketCreatedBody;

class PipelinePauseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = OpenOrFail(testing::Options(dir_.File("s.db")));
    ASSERT_TRUE(store_);
    connector_ = std::move(MakeConnector(testing::ZendeskInstance()).value());
    std::string error;
    scorer_ = sentiment::Scorer::Create(sentiment::Options{}, &error);
    ASSERT_NE(scorer_, nullptr) << error;
  }
  std::unique_ptr<Pipeline> NewPipeline() {
    PipelineOptions po;
    po.workers = 2;
    return std::make_unique<Pipeline>(po, store_.get(), std::map<std::string, const Connector*>{{"zd", connector_.get()}},
                                      scorer_.get(), ProcessorHooks{});
  }
  int64_t Append(const std::string& ticket, const std::string& delivery) {
    return store_->AppendEvent(testing::MakeEvent("zd", delivery, ticket, ZendeskTicketCreatedBody(ticket))).value().event_id;
  }
  int64_t Pending() { return store_->CountPending().value(); }
  // Waits up to `ms` for `p` to have processed `n` events.
  static bool WaitProcessed(const Pipeline& p, int64_t n, int ms) {
    for (int i = 0; i < ms / 10 && p.processed() < n; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return p.processed() >= n;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Connector> connector_;
  std::unique_ptr<sentiment::Scorer> scorer_;
};

TEST_F(PipelinePauseTest, NothingIsProcessedWhilePausedAndEverythingAfterTheResume) {
  auto p = NewPipeline();
  ASSERT_TRUE(p->Start().ok());
  ASSERT_TRUE(p->Pause("script tags everything").ok());
  EXPECT_TRUE(p->pause_state().paused);
  EXPECT_EQ(p->pause_state().reason, "script tags everything");
  EXPECT_GT(p->pause_state().since_ms, 0);
  std::vector<int64_t> ids;
  for (int i = 0; i < 20; ++i) {
    ids.push_back(Append(std::to_string(700 + i % 4), "inv-" + std::to_string(i)));
    p->Notify();
  }
  // The dispatcher polls at least once a second: give it more than that to do something wrong.
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));
  EXPECT_EQ(p->processed(), 0);
  EXPECT_EQ(Pending(), 20);

  ASSERT_TRUE(p->Resume().ok());
  EXPECT_FALSE(p->pause_state().paused);
  ASSERT_TRUE(WaitProcessed(*p, 20, 20000));
  p->Stop();
  EXPECT_EQ(Pending(), 0);
  for (int64_t id : ids) EXPECT_EQ(store_->GetEvent(id).value().state, EventState::kDone) << id;
}

TEST_F(PipelinePauseTest, APauseOutlivesARestartUntilResumed) {
  {
    auto p = NewPipeline();
    ASSERT_TRUE(p->Start().ok());
    ASSERT_TRUE(p->Pause("incident 42").ok());
    p->Stop();
  }
  const int64_t id = Append("710", "inv-restart");
  {
    auto p = NewPipeline();
    ASSERT_TRUE(p->Start().ok());
    EXPECT_TRUE(p->pause_state().paused);
    EXPECT_EQ(p->pause_state().reason, "incident 42");
    std::this_thread::sleep_for(std::chrono::milliseconds(1300));
    EXPECT_EQ(p->processed(), 0);
    EXPECT_EQ(store_->GetEvent(id).value().state, EventState::kPending);
    ASSERT_TRUE(p->Resume().ok());
    ASSERT_TRUE(WaitProcessed(*p, 1, 20000));
    p->Stop();
  }
  EXPECT_EQ(store_->GetEvent(id).value().state, EventState::kDone);
  auto loaded = LoadPauseState(store_.get());
  ASSERT_TRUE(loaded.ok());
  EXPECT_FALSE(loaded->paused);
}

TEST_F(PipelinePauseTest, PausingTwiceKeepsTheFirstPause) {
  auto p = NewPipeline();
  ASSERT_TRUE(p->Start().ok());
  ASSERT_TRUE(p->Pause("first").ok());
  const PauseState first = p->pause_state();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_TRUE(p->Pause("second").ok());
  EXPECT_EQ(p->pause_state().reason, "first");
  EXPECT_EQ(p->pause_state().since_ms, first.since_ms);
  EXPECT_EQ(LoadPauseState(store_.get()).value().reason, "first");
  ASSERT_TRUE(p->Resume().ok());
  ASSERT_TRUE(p->Resume().ok());  // resuming a running pipeline is not an error
  p->Stop();
}

TEST_F(PipelinePauseTest, DrainDoesNotWaitForAPausedPipelineAndStopLeavesEventsPending) {
  auto p = NewPipeline();
  ASSERT_TRUE(p->Start().ok());
  ASSERT_TRUE(p->Pause("").ok());
  const int64_t id = Append("720", "inv-drain");
  p->Notify();
  const auto started = std::chrono::steady_clock::now();
  p->Drain(std::chrono::seconds(60));
  // Not a speed check: a drain that waited for the paused events would take the whole minute.
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(30));
  p->Stop();
  EXPECT_EQ(p->processed(), 0);
  EXPECT_EQ(store_->GetEvent(id).value().state, EventState::kPending);
}

TEST_F(PipelinePauseTest, APauseDuringADrainEndsTheDrain) {
  auto p = NewPipeline();  // not started: its pending event cannot be processed, so Drain waits
  Append("730", "inv-drain-pause");
  std::thread pauser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_TRUE(p->Pause("during drain").ok());
  });
  const auto started = std::chrono::steady_clock::now();
  p->Drain(std::chrono::seconds(60));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(30));
  pauser.join();
  EXPECT_TRUE(p->pause_state().paused);
}

TEST(PauseStateJsonTest, CarriesTheStateAndThePendingCountWhenKnown) {
  PauseState s{true, 1795338000000, "bad \"script\""};
  EXPECT_EQ(PauseStateJson(s, 3), R"({"paused":true,"since_ms":1795338000000,"reason":"bad \"script\"","pending":3})");
  EXPECT_EQ(PauseStateJson(PauseState{}, -1), R"({"paused":false,"since_ms":0,"reason":""})");
}

}  // namespace
}  // namespace deskhook
