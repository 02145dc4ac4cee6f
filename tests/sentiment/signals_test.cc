// Each support signal fires on its phrases and not on their negations.
#include <gtest/gtest.h>

#include <string>

#include "sentiment/sentiment.h"

namespace deskhook::sentiment {
namespace {

class SignalsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string error;
    scorer_ = Scorer::Create({}, &error).release();
    ASSERT_NE(scorer_, nullptr) << error;
  }
  static void TearDownTestSuite() { delete scorer_; }
  static MessageScore S(std::string_view text) { return scorer_->Score(text); }
  static Scorer* scorer_;
};
Scorer* SignalsTest::scorer_ = nullptr;

bool HasTerm(const MessageScore& s, std::string_view signal, std::string_view text) {
  for (const auto& t : s.terms) {
    if (t.signal == signal && t.text == text) return true;
  }
  return false;
}

TEST_F(SignalsTest, FrustrationFires) {
  for (const char* text : {"This is the third time I am writing about this",
                           "The export is still not fixed", "Nobody answers my emails",
                           "What a waste of time", "I am sick and tired of this",
                           "How many times do I have to explain this"}) {
    EXPECT_GE(S(text).frustration, 0.5) << text;
  }
  EXPECT_TRUE(HasTerm(S("This is the third time"), "frustration", "third time"));
}

TEST_F(SignalsTest, FrustrationNotOnNegations) {
  for (const char* text : {"I am not frustrated at all", "This was not a waste of time",
                           "I'm not fed up, just curious"}) {
    EXPECT_EQ(S(text).frustration, 0.0) << text;
  }
}

TEST_F(SignalsTest, ChurnRiskFires) {
  for (const char* text : {"I want to cancel my subscription", "We are switching to a competitor",
                           "I want a refund", "We will take our business elsewhere"}) {
    EXPECT_GE(S(text).churn_risk, 0.5) << text;
  }
}

TEST_F(SignalsTest, ChurnRiskNotOnNegations) {
  for (const char* text : {"I don't want to cancel my subscription", "I do not want a refund",
                           "We are not switching to another provider"}) {
    EXPECT_EQ(S(text).churn_risk, 0.0) << text;
  }
}

TEST_F(SignalsTest, WantsHumanFires) {
  for (const char* text : {"Let me talk to a real person", "I want to speak to an agent",
                           "Are you a bot?", "Please escalate this to your manager"}) {
    EXPECT_GE(S(text).wants_human, 0.5) << text;
  }
}

TEST_F(SignalsTest, WantsHumanNotOnNegations) {
  for (const char* text : {"I don't need to talk to a person, the article solved it",
                           "No need to escalate this"}) {
    EXPECT_EQ(S(text).wants_human, 0.0) << text;
  }
}

TEST_F(SignalsTest, UrgencyFires) {
  for (const char* text : {"Please fix this ASAP", "Our production site is down",
                           "This is urgent", "We are losing money every hour"}) {
    EXPECT_GE(S(text).urgency, 0.5) << text;
  }
}

TEST_F(SignalsTest, UrgencyNotOnNegations) {
  for (const char* text : {"This is not urgent", "It isn't an emergency, whenever you can"}) {
    EXPECT_EQ(S(text).urgency, 0.0) << text;
  }
}

TEST_F(SignalsTest, CalmQuestionRaisesNoSignal) {
  const MessageScore s = S("Hi, how do I change the email address on my account? Thanks");
  EXPECT_EQ(s.frustration, 0.0);
  EXPECT_EQ(s.churn_risk, 0.0);
  EXPECT_EQ(s.wants_human, 0.0);
  EXPECT_EQ(s.urgency, 0.0);
}

TEST_F(SignalsTest, EvidenceAccumulatesWithinRange) {
  const MessageScore one = S("still not fixed");
  const MessageScore two = S("still not fixed, third time I ask, nobody answers");
  EXPECT_GT(two.frustration, one.frustration);
  EXPECT_LE(two.frustration, 1.0);
  const MessageScore all = S("Third time asking!!! Cancel my subscription and get me a real "
                             "person ASAP, our checkout is down");
  EXPECT_GT(all.frustration, 0.5);
  EXPECT_GT(all.churn_risk, 0.5);
  EXPECT_GT(all.wants_human, 0.5);
  EXPECT_GT(all.urgency, 0.5);
  EXPECT_LT(all.compound, 0);
}

TEST_F(SignalsTest, ShoutingComplaintIsAFrustrationCue) {
  EXPECT_GT(S("This is TERRIBLE!!!").frustration, 0.0);
  EXPECT_EQ(S("This is GREAT!!!").frustration, 0.0);
}

}  // namespace
}  // namespace deskhook::sentiment
