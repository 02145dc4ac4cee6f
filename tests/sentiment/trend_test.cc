#include <gtest/gtest.h>

#include <vector>

#include "sentiment/sentiment.h"

namespace deskhook::sentiment {
namespace {

TEST(Trend, EscalatingWhenScoresFall) {
  const std::vector<double> falling = {0.6, 0.1, -0.5};
  const ConversationTrend t = Trend(falling, 0.5);
  EXPECT_EQ(t.messages, 3);
  EXPECT_DOUBLE_EQ(t.last, -0.5);
  EXPECT_DOUBLE_EQ(t.min, -0.5);
  EXPECT_NEAR(t.ewma, -0.075, 1e-12);  // 0.6 -> 0.35 -> -0.075
  EXPECT_NEAR(t.slope, -0.55, 1e-12);
  EXPECT_TRUE(t.escalating);
}

TEST(Trend, NotEscalatingWhenScoresRise) {
  const std::vector<double> rising = {-0.6, -0.1, 0.5};
  const ConversationTrend t = Trend(rising, 0.5);
  EXPECT_GT(t.slope, 0);
  EXPECT_FALSE(t.escalating);
}

TEST(Trend, FlatNegativeIsBadButNotEscalating) {
  const std::vector<double> flat = {-0.6, -0.6, -0.6};
  const ConversationTrend t = Trend(flat, 0.5);
  EXPECT_DOUBLE_EQ(t.slope, 0);
  EXPECT_FALSE(t.escalating);
  EXPECT_DOUBLE_EQ(t.ewma, -0.6);
}

TEST(Trend, FallingButStillPositiveIsNotEscalating) {
  const std::vector<double> cooling = {0.9, 0.6, 0.3};
  EXPECT_FALSE(Trend(cooling, 0.5).escalating);
}

TEST(Trend, OneOrNoMessages) {
  EXPECT_EQ(Trend({}, 0.5).messages, 0);
  const std::vector<double> one = {-0.9};
  const ConversationTrend t = Trend(one, 0.5);
  EXPECT_EQ(t.messages, 1);
  EXPECT_DOUBLE_EQ(t.ewma, -0.9);
  EXPECT_DOUBLE_EQ(t.slope, 0);
  EXPECT_FALSE(t.escalating);
}

TEST(Trend, AlphaWeighsRecentMessages) {
  const std::vector<double> v = {1.0, -1.0};
  EXPECT_NEAR(Trend(v, 0.9).ewma, -0.8, 1e-12);
  EXPECT_NEAR(Trend(v, 0.1).ewma, 0.8, 1e-12);
}

}  // namespace
}  // namespace deskhook::sentiment
