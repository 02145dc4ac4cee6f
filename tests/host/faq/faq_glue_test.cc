// An approved FAQ draft becomes exactly one stored outbox call, and is marked created only
// after that call is stored: a crash in between must neither lose nor double the article.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "connectors/connector.h"
#include "host/faq_glue.h"
#include "tests/host/outbox/outbox_test_util.h"
#include "tests/host/zendesk_instance.h"

namespace deskhook {
namespace {

using testing::TempStore;

class FaqGlueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto made = MakeConnector(testing::ZendeskInstance());
    ASSERT_TRUE(made.ok()) << made.status().message();
    connector_ = std::move(made.value());
    faq::FaqConfig config;
    config.hold_for_approval = true;
    auto glue = FaqGlue::Create(config, ts_.store.get(), {{"zd", connector_.get()}}, [this] { ++wakes_; });
    ASSERT_TRUE(glue.ok()) << glue.status().message();
    glue_ = std::move(glue.value());
  }

  // Records a script draft (pending: held for approval) and returns its id.
  int64_t PendingDraft(const std::string& title) {
    Ticket t;
    t.instance = "zd";
    t.id = "42";
    glue_->OnScriptDrafts(t, {FaqDraft{title, "<p>Answer.</p>", "", {}}}, 1000);
    const boost::json::value parsed = boost::json::parse(glue_->ListJson("pending"));
    const auto& list = parsed.as_array();
    for (const auto& d : list) {
      if (d.at("title").as_string() == title) return d.at("id").as_int64();
    }
    ADD_FAILURE() << "no pending draft " << title;
    return 0;
  }
  std::string State(int64_t id) {
    const boost::json::value all = boost::json::parse(glue_->ListJson(""));
    for (const auto& d : all.as_array()) {
      if (d.at("id").as_int64() == id) return std::string(d.at("state").as_string());
    }
    return "";
  }
  // Outbox calls stored for the draft's internal event(s).
  size_t CallsFor(int64_t draft_id) {
    size_t n = 0;
    auto items = ts_.store->ListOutbox(std::nullopt, 1000);
    EXPECT_TRUE(items.ok());
    for (const auto& item : items.value()) {
      auto e = ts_.store->GetEvent(item.event_id);
      if (e.ok() && e->dedupe_key == "faq-draft-" + std::to_string(draft_id)) ++n;
    }
    return n;
  }

  TempStore ts_{"faqglue"};
  std::unique_ptr<Connector> connector_;
  std::unique_ptr<FaqGlue> glue_;
  int wakes_ = 0;
};

TEST_F(FaqGlueTest, ApprovalStoresTheCallThenMarksTheDraftCreated) {
  const int64_t id = PendingDraft("How do I reset my password?");
  EXPECT_EQ(CallsFor(id), 0u) << "a pending draft makes no call";
  ASSERT_TRUE(glue_->Act(id, "approve", "{}", 2000).ok());
  EXPECT_EQ(State(id), "created");
  EXPECT_EQ(CallsFor(id), 1u);
  EXPECT_EQ(wakes_, 1);
  glue_->Maintain(3000);  // nothing approved is left: no second call
  EXPECT_EQ(CallsFor(id), 1u);
}

TEST_F(FaqGlueTest, ACallStoredBeforeACrashIsNotStoredTwice) {
  const int64_t id = PendingDraft("Where is my card?");
  // The state a crash between "call stored" and "draft marked created" leaves behind: the
  // draft's internal event exists (here without calls, to tell it apart) and the draft is not
  // marked yet.
  NewEvent e;
  e.instance = "zd";
  e.kind = "faq_draft";
  e.dedupe_key = "faq-draft-" + std::to_string(id);
  e.received_ms = 1500;
  e.body = "{}";
  e.meta_json = "{}";
  ASSERT_TRUE(ts_.store->RecordInternalEvent(e, ProcessedEvent{}).ok());
  ASSERT_TRUE(glue_->Act(id, "approve", "{}", 2000).ok());
  EXPECT_EQ(State(id), "created") << "the hand-off found its call already stored and marked it";
  EXPECT_EQ(CallsFor(id), 0u) << "no second call was stored for the same draft";
}

TEST_F(FaqGlueTest, ADraftWhoseCallCannotBeStoredIsNotMarkedCreated) {
  // A draft of an instance with no connector (removed from the config) gets no call: it must
  // stay approved, to be created if the instance comes back, not be marked created and lost.
  Ticket t;
  t.instance = "gone";
  t.id = "7";
  glue_->OnScriptDrafts(t, {FaqDraft{"Can I pay by invoice?", "<p>Yes.</p>", "", {}}}, 1000);
  const boost::json::value parsed = boost::json::parse(glue_->ListJson("pending"));
  ASSERT_EQ(parsed.as_array().size(), 1u);
  const int64_t id = parsed.as_array()[0].at("id").as_int64();
  ASSERT_TRUE(glue_->Act(id, "approve", "{}", 2000).ok());
  EXPECT_EQ(State(id), "approved");
  EXPECT_EQ(CallsFor(id), 0u);
  glue_->Maintain(3000);
  EXPECT_EQ(State(id), "approved");
}

}  // namespace
}  // namespace deskhook
