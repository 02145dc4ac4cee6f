// The pipeline worker's cache of sentiment histories: what it returns after a fill and after
// commits, when it forgets, and its bounds.
#include "host/sentiment_cache.h"

#include <gtest/gtest.h>

namespace deskhook {
namespace {

using History = std::vector<double>;

TEST(SentimentHistoryCache, FilledEntryIsExtendedByEachCommittedEvent) {
  SentimentHistoryCache c(8, 16);
  EXPECT_EQ(c.Find("zd", "1"), nullptr);
  c.Fill("zd", "1", {-0.5});
  ASSERT_NE(c.Find("zd", "1"), nullptr);
  EXPECT_EQ(*c.Find("zd", "1"), History({-0.5}));
  c.Committed("zd", "1", 10, {0.25, -0.75});
  c.Committed("zd", "1", 11, {});  // an agent's reply: no customer message
  c.Committed("zd", "1", 12, {0.1});
  EXPECT_EQ(*c.Find("zd", "1"), History({-0.5, 0.25, -0.75, 0.1}));
}

TEST(SentimentHistoryCache, CommitOfATicketNotCachedDoesNotCreateAnEntry) {
  SentimentHistoryCache c(8, 16);
  c.Committed("zd", "1", 10, {0.5});
  // Its earlier history is unknown here: a fresh entry holding only this event would be wrong.
  EXPECT_EQ(c.Find("zd", "1"), nullptr);
}

TEST(SentimentHistoryCache, AnEventNotNewerThanTheLastDropsTheEntry) {
  SentimentHistoryCache c(8, 16);
  c.Fill("zd", "1", {});
  c.Committed("zd", "1", 10, {0.5});
  c.Committed("zd", "1", 10, {0.5});  // the same event again: the store keeps its first sentiment
  EXPECT_EQ(c.Find("zd", "1"), nullptr);
  c.Fill("zd", "1", {0.5});
  c.Committed("zd", "1", 20, {0.1});
  c.Committed("zd", "1", 15, {0.2});  // out of order
  EXPECT_EQ(c.Find("zd", "1"), nullptr);
}

TEST(SentimentHistoryCache, InstancesAndTicketsAreSeparate) {
  SentimentHistoryCache c(8, 16);
  c.Fill("zd", "1", {0.1});
  c.Fill("zd2", "1", {0.2});
  c.Fill("zd", "12", {0.3});
  c.Committed("zd", "1", 5, {-0.1});
  EXPECT_EQ(*c.Find("zd", "1"), History({0.1, -0.1}));
  EXPECT_EQ(*c.Find("zd2", "1"), History({0.2}));
  EXPECT_EQ(*c.Find("zd", "12"), History({0.3}));
  EXPECT_EQ(c.Find("z", "d1"), nullptr);
}

TEST(SentimentHistoryCache, ForgetDropsOneTicket) {
  SentimentHistoryCache c(8, 16);
  c.Fill("zd", "1", {0.1});
  c.Fill("zd", "2", {0.2});
  c.Forget("zd", "1");
  EXPECT_EQ(c.Find("zd", "1"), nullptr);
  ASSERT_NE(c.Find("zd", "2"), nullptr);
  c.Forget("zd", "3");  // not cached: nothing happens
  EXPECT_EQ(c.size(), 1u);
}

TEST(SentimentHistoryCache, LeastRecentlyUsedTicketGoesFirst) {
  SentimentHistoryCache c(2, 16);
  c.Fill("zd", "1", {0.1});
  c.Fill("zd", "2", {0.2});
  ASSERT_NE(c.Find("zd", "1"), nullptr);  // 1 is now more recent than 2
  c.Fill("zd", "3", {0.3});
  EXPECT_EQ(c.size(), 2u);
  EXPECT_EQ(c.Find("zd", "2"), nullptr);
  EXPECT_NE(c.Find("zd", "1"), nullptr);
  EXPECT_NE(c.Find("zd", "3"), nullptr);
}

TEST(SentimentHistoryCache, RefillReplacesTheEntry) {
  SentimentHistoryCache c(2, 16);
  c.Fill("zd", "1", {0.1});
  c.Committed("zd", "1", 9, {0.2});
  c.Fill("zd", "1", {0.7});
  EXPECT_EQ(*c.Find("zd", "1"), History({0.7}));
  EXPECT_EQ(c.size(), 1u);
  c.Committed("zd", "1", 3, {0.4});  // the refill forgot event 9: any committed event extends
  EXPECT_EQ(*c.Find("zd", "1"), History({0.7, 0.4}));
}

TEST(SentimentHistoryCache, HistoriesLongerThanTheBoundAreNotKept) {
  SentimentHistoryCache c(8, 3);
  c.Fill("zd", "1", {0.1, 0.2, 0.3, 0.4});
  EXPECT_EQ(c.Find("zd", "1"), nullptr);
  c.Fill("zd", "2", {0.1, 0.2});
  c.Committed("zd", "2", 1, {0.3});
  EXPECT_EQ(c.Find("zd", "2")->size(), 3u);
  c.Committed("zd", "2", 2, {0.4});  // would be 4
  EXPECT_EQ(c.Find("zd", "2"), nullptr);
}

TEST(SentimentHistoryCache, ZeroTicketsCachesNothing) {
  SentimentHistoryCache c(0, 16);
  c.Fill("zd", "1", {0.1});
  EXPECT_EQ(c.Find("zd", "1"), nullptr);
  EXPECT_EQ(c.size(), 0u);
}

}  // namespace
}  // namespace deskhook
