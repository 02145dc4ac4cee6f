#include "host/faq/faq_service.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

namespace deskhook::faq {
namespace {

constexpr int64_t kHour = 3600LL * 1000;

const std::vector<std::string> kPassword = {
    "Hi, how do I reset my password?\nThanks, Ann",
    "I forgot my password, how can I reset it?",
    "how can i reset my password please",
    "Reset password how?",
    "How do I reset the password on my account?",
    "password reset how do i do it",
    "Can you tell me how to reset my password?",
    "need to reset my password, how?"};

class FaqServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("faq_service_test_" + std::to_string(::getpid()) + ".db");
    std::filesystem::remove(path_);
    config_.index.threshold = 0.3;
    config_.index.merge_threshold = 0.5;
    config_.draft_min_group = 3;
    config_.pending_expiry_ms = 48 * kHour;
  }
  void TearDown() override {
    service_.reset();
    if (db_) sqlite3_close(db_);
    std::filesystem::remove(path_);
  }
  // (Re)starts the service on the same database file, as after a process restart.
  void Start(int64_t now_ms) {
    service_.reset();
    if (db_) sqlite3_close(db_);
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db_), SQLITE_OK);
    auto s = FaqService::Open(config_, NewSqliteFaqRepository(DirectSqlAccess(db_)), now_ms);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    service_ = std::move(s).value();
  }
  QuestionOutcome Ask(const std::string& ticket, const std::string& text, int64_t t) {
    auto r = service_->OnQuestion("zd", ticket, text, t);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : QuestionOutcome{};
  }
  size_t DraftCount() { return service_->ListDrafts(std::nullopt)->size(); }

  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
  FaqConfig config_;
  std::unique_ptr<FaqService> service_;
};

TEST_F(FaqServiceTest, DraftCreatedOnceAlsoAfterRestartAndNextSimilarTicket) {
  Start(0);
  EXPECT_FALSE(Ask("1", kPassword[0], 1).draft);
  EXPECT_FALSE(Ask("2", kPassword[1], 2).draft);
  QuestionOutcome third = Ask("3", kPassword[2], 3);
  ASSERT_TRUE(third.draft) << "group of 3 reaches draft_min_group";
  EXPECT_EQ(third.draft->state, DraftState::kPending);
  EXPECT_EQ(third.draft->group_size, 3);
  EXPECT_NE(third.draft->draft.title.find("?"), std::string::npos);
  EXPECT_NE(third.draft->draft.body_html.find("<li>"), std::string::npos);
  EXPECT_EQ(third.draft->draft.body_html.find("Thanks, Ann"), std::string::npos);
  EXPECT_FALSE(Ask("4", kPassword[3], 4).draft) << "next similar ticket";
  EXPECT_EQ(DraftCount(), 1u);

  Start(10);  // restart
  QuestionOutcome after = Ask("5", kPassword[4], 11);
  EXPECT_EQ(after.similar.group_id, third.similar.group_id);
  EXPECT_EQ(after.similar.count, 4);
  EXPECT_FALSE(after.draft);
  EXPECT_EQ(DraftCount(), 1u);
  // A redelivered ticket changes nothing.
  QuestionOutcome dup = Ask("5", kPassword[4], 12);
  EXPECT_TRUE(dup.duplicate);
  EXPECT_EQ(dup.similar.group_id, third.similar.group_id);
  EXPECT_EQ(service_->GroupSize("zd", third.similar.group_id), 5);
}

TEST_F(FaqServiceTest, RestartRebuildGivesTheSameGroups) {
  Start(0);
  std::vector<std::string> texts = {kPassword[0], "My card has not arrived yet", kPassword[1],
                                    "My new card still has not arrived", kPassword[2],
                                    "the card I ordered has not arrived", "Is the branch open on Sunday?"};
  std::vector<uint64_t> before;
  for (size_t i = 0; i < texts.size(); ++i) {
    before.push_back(Ask("t" + std::to_string(i), texts[i], i).similar.group_id);
  }
  Start(100);
  for (size_t i = 0; i < texts.size(); ++i) {
    // A redelivery reports the group the ticket is in, from the rebuilt index.
    QuestionOutcome o = Ask("t" + std::to_string(i), texts[i], 100);
    EXPECT_TRUE(o.duplicate);
    EXPECT_EQ(o.similar.group_id, before[i]) << texts[i];
  }
  // New groups do not reuse ids handed out before the restart.
  QuestionOutcome fresh = Ask("new", "Do you support Apple Pay in Spain?", 101);
  for (uint64_t g : before) EXPECT_NE(fresh.similar.group_id, g);
}

TEST_F(FaqServiceTest, RejectedGroupNotProposedAgainUntilItDoublesAndApprovalFlow) {
  Start(0);
  int64_t t = 0;
  QuestionOutcome o;
  for (int i = 0; i < 3; ++i) o = Ask("p" + std::to_string(i), kPassword[i], ++t);
  ASSERT_TRUE(o.draft);
  auto rejected = service_->Reject(o.draft->id, ++t);
  ASSERT_TRUE(rejected.ok());
  EXPECT_EQ(rejected->state, DraftState::kRejected);
  EXPECT_FALSE(service_->Reject(o.draft->id, ++t).ok()) << "not pending any more";
  for (int i = 3; i < 5; ++i) EXPECT_FALSE(Ask("p" + std::to_string(i), kPassword[i], ++t).draft);
  QuestionOutcome sixth = Ask("p5", kPassword[5], ++t);  // 6 = 2 x 3 members
  ASSERT_TRUE(sixth.draft);
  EXPECT_EQ(sixth.draft->group_size, 6);

  // Edit, approve, then it is handed out for creation exactly once.
  ASSERT_TRUE(service_->RecordAnswer("zd", "p1", "Use Settings > Security > Reset.", ++t).ok());
  EXPECT_NE(service_->GetDraft(sixth.draft->id)->draft.body_html.find("Settings &gt; Security"),
            std::string::npos) << "pending draft refreshed with the agent's answer";
  auto edited = service_->Edit(sixth.draft->id, DraftEdits{"How do I reset my password?", {}}, ++t);
  ASSERT_TRUE(edited.ok());
  EXPECT_EQ(edited->state, DraftState::kPending);
  EXPECT_FALSE(service_->Edit(sixth.draft->id, DraftEdits{"", {}}, ++t).ok());
  EXPECT_TRUE(service_->DraftsToCreate()->empty()) << "pending drafts wait";
  auto approved = service_->Approve(sixth.draft->id, {}, ++t);
  ASSERT_TRUE(approved.ok());
  EXPECT_EQ(approved->draft.title, "How do I reset my password?");
  auto take = service_->DraftsToCreate();
  ASSERT_EQ(take->size(), 1u);
  EXPECT_EQ(take->front().state, DraftState::kApproved);
  EXPECT_EQ(service_->DraftsToCreate()->size(), 1u) << "handed out again until marked created";
  ASSERT_TRUE(service_->MarkCreated(take->front().id, ++t).ok());
  EXPECT_EQ(service_->GetDraft(take->front().id)->state, DraftState::kCreated);
  EXPECT_TRUE(service_->DraftsToCreate()->empty());
  EXPECT_FALSE(service_->MarkCreated(take->front().id, ++t).ok()) << "only an approved draft";
  EXPECT_FALSE(service_->Approve(sixth.draft->id, {}, ++t).ok());
  EXPECT_FALSE(service_->Approve(12345, {}, ++t).ok());
}

TEST_F(FaqServiceTest, PendingDraftsExpire) {
  Start(0);
  QuestionOutcome o;
  for (int i = 0; i < 3; ++i) o = Ask("p" + std::to_string(i), kPassword[i], i);
  ASSERT_TRUE(o.draft);
  EXPECT_EQ(*service_->ExpirePending(47 * kHour), 0);
  EXPECT_EQ(*service_->ExpirePending(49 * kHour), 1);
  EXPECT_EQ(service_->GetDraft(o.draft->id)->state, DraftState::kExpired);
  EXPECT_FALSE(service_->Approve(o.draft->id, {}, 50 * kHour).ok());
  EXPECT_FALSE(Ask("p3", kPassword[3], 50 * kHour).draft) << "expired counts like rejected";
}

TEST_F(FaqServiceTest, WithoutHoldDraftsGoStraightToCreationAndScriptsShareThePath) {
  config_.hold_for_approval = false;
  Start(0);
  QuestionOutcome o;
  for (int i = 0; i < 3; ++i) o = Ask("p" + std::to_string(i), kPassword[i], i);
  ASSERT_TRUE(o.draft);
  EXPECT_EQ(o.draft->state, DraftState::kApproved);
  FaqDraft script{"Where is my card?", "<p>Cards arrive in 5 days.</p>", "", {}};
  auto s = service_->RecordDraft("zd", script, 0, 0, "script", 5);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->state, DraftState::kApproved);
  EXPECT_FALSE(service_->RecordDraft("zd", FaqDraft{"", "x", "", {}}, 0, 0, "script", 5).ok());
  auto take = service_->DraftsToCreate();
  ASSERT_EQ(take->size(), 2u);
  EXPECT_EQ(take->at(1).draft.title, "Where is my card?");
  EXPECT_EQ(take->at(1).source, "script");
}

TEST_F(FaqServiceTest, WindowEvictionAppliesAfterRestartToo) {
  config_.index.window_ms = 24 * kHour;
  Start(0);
  uint64_t g = Ask("1", kPassword[0], 0).similar.group_id;
  Ask("2", kPassword[1], 1);
  Start(25 * kHour);  // both questions are now outside the window
  QuestionOutcome o = Ask("3", kPassword[2], 25 * kHour);
  EXPECT_EQ(o.similar.count, 0);
  EXPECT_NE(o.similar.group_id, g);
}

}  // namespace
}  // namespace deskhook::faq
