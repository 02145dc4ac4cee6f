// Scripts' ctx.kv writes commit with the event that made them: an event processed again after a
// crash (its first processing never committed) counts once, and events of one batch see each
// other's pending writes.
#include <gtest/gtest.h>

#include <fstream>

#include "connectors/connector.h"
#include "host/event_processor.h"
#include "sentiment/sentiment.h"
#include "tests/host/store/store_test_util.h"
#include "tests/host/zendesk_instance.h"

namespace deskhook {
namespace {

using testing::OpenOrFail;
using testing::TempDir;

using testing::ZendeskTicketCreatedBody;

class ProcessorKvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = OpenOrFail(testing::Options(dir_.File("s.db")));
    ASSERT_TRUE(store_);
    script_ = dir_.File("counter.lua");
    std::ofstream(script_) << "function on_ticket_created(t, ctx)\n"
                              "  local n = ctx.kv.incr('seen', 1)\n"
                              "  tag('n' .. n)\n"
                              "end\n";
    connector_ = std::move(MakeConnector(testing::ZendeskInstance()).value());
    std::string error;
    scorer_ = sentiment::Scorer::Create(sentiment::Options{}, &error);
    ASSERT_NE(scorer_, nullptr) << error;
  }
  std::unique_ptr<EventProcessor> Processor() {
    scripts::RuntimeConfig rc;
    rc.script_paths = {script_};
    auto p = EventProcessor::Create(rc, store_.get(), scorer_.get(), nullptr);
    EXPECT_TRUE(p.ok()) << p.status().message();
    return std::move(p.value());
  }
  StoredEvent Append(const std::string& ticket) {
    NewEvent e = testing::MakeEvent("zd", "d-" + ticket, ticket, ZendeskTicketCreatedBody(ticket));
    const int64_t id = store_->AppendEvent(e).value().event_id;
    return store_->GetEvent(id).value();
  }
  std::string Seen() {
    auto v = store_->KvGet("counter.lua", "seen", 2'000'000'000'000);
    return v.ok() && v->has_value() ? **v : "(none)";
  }
  static bool Tagged(const ProcessedEvent& p, const std::string& tag) {
    for (const auto& c : p.calls) {
      if (c.body.find("\"" + tag + "\"") != std::string::npos) return true;
    }
    return false;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  std::string script_;
  std::unique_ptr<Connector> connector_;
  std::unique_ptr<sentiment::Scorer> scorer_;
};

TEST_F(ProcessorKvTest, AnEventProcessedAgainAfterALostCommitCountsOnce) {
  const StoredEvent a = Append("101");
  {
    auto first = Processor();  // processes, then "crashes" before committing
    ProcessedEvent lost = first->Process(a, connector_.get(), 1'000);
    ASSERT_EQ(lost.kv.size(), 1u);
    EXPECT_TRUE(Tagged(lost, "n1"));
  }
  EXPECT_EQ(Seen(), "(none)") << "nothing reaches the store before the event commits";
  auto second = Processor();
  ProcessedEvent p = second->Process(a, connector_.get(), 2'000);
  EXPECT_TRUE(Tagged(p, "n1"));
  ASSERT_TRUE(store_->CommitProcessed(p).ok());
  second->AfterCommit();
  EXPECT_EQ(Seen(), "1");
}

TEST_F(ProcessorKvTest, EventsOfOneBatchSeeEachOthersPendingWrites) {
  auto processor = Processor();
  ProcessedEvent b = processor->Process(Append("201"), connector_.get(), 1'000);
  ProcessedEvent c = processor->Process(Append("202"), connector_.get(), 1'001);
  EXPECT_TRUE(Tagged(b, "n1"));
  EXPECT_TRUE(Tagged(c, "n2")) << "the second event saw the first one's uncommitted increment";
  ASSERT_TRUE(store_->CommitProcessedBatch({b, c}).ok());
  processor->AfterCommit();
  EXPECT_EQ(Seen(), "2");
  ProcessedEvent d = processor->Process(Append("203"), connector_.get(), 1'002);
  EXPECT_TRUE(Tagged(d, "n3")) << "after the commit, reads come from the store";
}

}  // namespace
}  // namespace deskhook
