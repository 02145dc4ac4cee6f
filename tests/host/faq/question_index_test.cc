#include "host/faq/question_index.h"

#include <gtest/gtest.h>

#include <set>

namespace deskhook::faq {
namespace {

constexpr int64_t kDay = 24LL * 3600 * 1000;

// Several wordings of three different questions, interleaved as they would arrive.
const std::vector<std::pair<std::string, int>> kQuestions = {
    {"How do I reset my password?", 0},
    {"My card has not arrived yet", 1},
    {"Why was I charged a fee for my transfer?", 2},
    {"I forgot my password, how can I reset it?", 0},
    {"My new card still has not arrived", 1},
    {"Why was there a fee charged on my transfer?", 2},
    {"Reset password how?", 0},
    {"My card still has not arrived, where is it?", 1},
    {"What is this fee charged on my bank transfer?", 2},
    {"how can i reset my password please", 0},
    {"the card I ordered has not arrived", 1},
    {"transfer fee charged why", 2},
};

IndexOptions Lenient() {
  IndexOptions o;
  o.threshold = 0.3;
  o.merge_threshold = 0.5;
  return o;
}

TEST(QuestionIndex, GroupsParaphrasesAndSeparatesDifferentQuestions) {
  QuestionIndex index(Lenient());
  std::vector<uint64_t> ids;
  for (size_t i = 0; i < kQuestions.size(); ++i) {
    ids.push_back(index.Add("t" + std::to_string(i), kQuestions[i].first, 1000 + i).group_id);
  }
  std::map<int, std::set<uint64_t>> by_gold;
  for (size_t i = 0; i < ids.size(); ++i) by_gold[kQuestions[i].second].insert(index.Resolve(ids[i]));
  std::set<uint64_t> all;
  for (auto& [gold, groups] : by_gold) {
    EXPECT_EQ(groups.size(), 1u) << "question " << gold << " split";
    all.insert(groups.begin(), groups.end());
  }
  EXPECT_EQ(all.size(), 3u) << "different questions share a group";
  EXPECT_EQ(index.group_count(), 3u);
}

TEST(QuestionIndex, SimilarResultCountsAndExamples) {
  QuestionIndex index(Lenient());
  index.Add("a", "How do I reset my password?", 1);
  index.Add("b", "I forgot my password, how can I reset it?", 2);
  SimilarResult r = index.Add("c", "how can i reset my password please", 3);
  EXPECT_FALSE(r.new_group);
  EXPECT_EQ(r.count, 2);
  EXPECT_EQ(r.examples, (std::vector<std::string>{"b", "a"}));
  SimilarResult other = index.Add("d", "Is the branch open on Sundays?", 4);
  EXPECT_TRUE(other.new_group);
  EXPECT_NE(other.group_id, r.group_id);
  EXPECT_EQ(other.count, 0);
  EXPECT_EQ(index.Add("e", "?!", 5).group_id, 0u);  // no terms: not grouped
}

TEST(QuestionIndex, EvictsQuestionsOutsideTheWindow) {
  IndexOptions o = Lenient();
  o.window_ms = 30 * kDay;
  QuestionIndex index(o);
  uint64_t g = index.Add("a", "How do I reset my password?", 0).group_id;
  index.Add("b", "I forgot my password, how can I reset it?", 1 * kDay);
  EXPECT_EQ(index.GroupSize(g), 2);
  SimilarResult r = index.Add("c", "how can i reset my password please", 30 * kDay + 1);
  EXPECT_EQ(r.count, 1) << "the day-0 question left the window";
  EXPECT_EQ(r.examples, (std::vector<std::string>{"b"}));
  EXPECT_EQ(index.question_count(), 2u);
  EXPECT_EQ(index.Evict(100 * kDay), 2u);
  EXPECT_EQ(index.question_count(), 0u);
  EXPECT_EQ(index.group_count(), 0u);
  EXPECT_EQ(index.GroupSize(g), 0);
  // A group emptied by eviction does not give its id out again.
  uint64_t again = index.Add("d", "How do I reset my password?", 100 * kDay).group_id;
  EXPECT_GT(again, g);
}

TEST(QuestionIndex, RestoreRebuildsTheSameGroups) {
  QuestionIndex live(Lenient());
  std::vector<std::pair<std::string, uint64_t>> log;
  for (size_t i = 0; i < kQuestions.size(); ++i) {
    log.emplace_back(kQuestions[i].first, live.Add("t" + std::to_string(i), kQuestions[i].first, i).group_id);
  }
  QuestionIndex rebuilt(Lenient());
  for (size_t i = 0; i < log.size(); ++i) {
    rebuilt.Restore("t" + std::to_string(i), log[i].first, i, live.Resolve(log[i].second));
  }
  for (size_t i = 0; i < log.size(); ++i) {
    uint64_t g = live.Resolve(log[i].second);
    EXPECT_EQ(rebuilt.Members(g), live.Members(g));
  }
  // The next question lands in the same group in both.
  SimilarResult a = live.Add("n", "password reset how do i do it", 99);
  SimilarResult b = rebuilt.Add("n", "password reset how do i do it", 99);
  EXPECT_EQ(a.group_id, b.group_id);
  EXPECT_EQ(a.count, b.count);
}

TEST(QuestionIndex, QuestionBetweenTwoGroupsStartsItsOwn) {
  // Equally close to the password group and to the card group: joining either would make it less
  // pure, so with the ambiguity margin it stays apart; without it, it joins one of them.
  auto run = [](double margin) {
    IndexOptions o = Lenient();
    o.threshold = 0.4;
    o.join_margin = margin;
    QuestionIndex index(o);
    uint64_t pw = index.Add("p1", "reset my password", 1).group_id;
    index.Add("p2", "reset password", 2);
    uint64_t card = index.Add("c1", "my card is blocked", 3).group_id;
    index.Add("c2", "card blocked", 4);
    EXPECT_NE(index.Resolve(pw), index.Resolve(card));
    SimilarResult r = index.Add("x", "reset password card blocked", 5);
    return std::make_pair(r, std::set<uint64_t>{index.Resolve(pw), index.Resolve(card)});
  };
  auto [with_margin, groups] = run(0.15);
  EXPECT_TRUE(with_margin.new_group);
  EXPECT_EQ(groups.count(with_margin.group_id), 0u);
  auto [without, groups0] = run(0.0);
  EXPECT_FALSE(without.new_group);
  EXPECT_EQ(groups0.count(without.group_id), 1u);
}

TEST(QuestionIndex, CentralMemberComesFirst) {
  QuestionIndex index(Lenient());
  uint64_t g = index.Add("odd", "reset password now", 1).group_id;
  index.Add("a", "how do I reset my password", 2);
  index.Add("b", "how can I reset my password", 3);
  index.Add("c", "how do I reset the password", 4);
  ASSERT_EQ(index.GroupSize(g), 4);
  auto central = index.CentralMembers(g, 2);
  ASSERT_EQ(central.size(), 2u);
  EXPECT_NE(central[0], "odd");
}

}  // namespace
}  // namespace deskhook::faq

namespace deskhook::faq {
namespace {

// Two wordings of one question that differ only by a word used between the same neighbours
// ("close"/"shut"), and a more specific question ("close my savings account").
const std::vector<std::string> kCloseAccount = {
    "how do I close my account",  "please close my account",     "I want to close my account",
    "can you close my account",   "close my account now",        "how do I shut my account",
    "please shut my account",     "I want to shut my account",   "can you shut my account",
    "shut my account now",
};

IndexOptions SubstituteOptions(bool substitutes) {
  IndexOptions o;
  o.threshold = 0.5;
  o.merge_threshold = 0.95;  // only the learned-substitute path can merge
  o.substitute_merge_threshold = substitutes ? 0.2 : 2.0;
  return o;
}

std::vector<uint64_t> AddAll(QuestionIndex& index, const std::vector<std::string>& texts,
                             int64_t t0) {
  std::vector<uint64_t> ids;
  for (size_t i = 0; i < texts.size(); ++i) {
    ids.push_back(index.Add("q" + std::to_string(t0 + i), texts[i], t0 + i).group_id);
  }
  return ids;
}

// Adds all but the last of `texts` to a live index and restores them into a second one, as after
// a restart; then adds the last to both and checks they decide the same. Returns the live result.
SimilarResult SameDecisionAfterRestart(const IndexOptions& options,
                                       const std::vector<std::string>& texts) {
  QuestionIndex live(options), rebuilt(options);
  std::vector<std::string> first(texts.begin(), texts.end() - 1);
  std::vector<uint64_t> ids = AddAll(live, first, 0);
  for (size_t i = 0; i < first.size(); ++i) {
    rebuilt.Restore("q" + std::to_string(i), first[i], i, live.Resolve(ids[i]));
  }
  int64_t t = static_cast<int64_t>(first.size());
  SimilarResult a = live.Add("last", texts.back(), t);
  SimilarResult b = rebuilt.Add("last", texts.back(), t);
  EXPECT_EQ(a.merges, b.merges);
  EXPECT_EQ(a.group_id, b.group_id);
  EXPECT_EQ(live.Members(a.group_id), rebuilt.Members(b.group_id));
  return a;
}

TEST(QuestionIndexSubstitutes, GroupsDifferingOnlyBySubstitutesMerge) {
  for (bool substitutes : {false, true}) {
    QuestionIndex index(SubstituteOptions(substitutes));
    std::vector<uint64_t> ids = AddAll(index, kCloseAccount, 0);
    uint64_t close = index.Resolve(ids[0]), shut = index.Resolve(ids[5]);
    EXPECT_EQ(index.GroupSize(close), substitutes ? 10 : 5) << "substitutes " << substitutes;
    EXPECT_EQ(close == shut, substitutes);
  }
}

TEST(QuestionIndexSubstitutes, MoreSpecificQuestionIsNotMerged) {
  // "savings" is held by every member of one group and by none of the other: no substitute
  // faces it, so the groups stay apart even though their centroids are close.
  std::vector<std::string> texts(kCloseAccount.begin(), kCloseAccount.begin() + 5);
  for (size_t i = 0; i < 5; ++i) {
    std::string t = kCloseAccount[i];
    t.replace(t.find("account"), 7, "savings account");
    texts.push_back(t);
  }
  QuestionIndex index(SubstituteOptions(true));
  std::vector<uint64_t> ids = AddAll(index, texts, 0);
  EXPECT_NE(index.Resolve(ids[0]), index.Resolve(ids[5]));
  EXPECT_EQ(index.GroupSize(ids[0]), 5);
  EXPECT_EQ(index.GroupSize(ids[5]), 5);
  // Control: their centroids are close enough that a plain merge at the substitute threshold
  // would join them; the rule, not the cosine, keeps them apart.
  IndexOptions plain = SubstituteOptions(false);
  plain.merge_threshold = 0.2;
  QuestionIndex control(plain);
  std::vector<uint64_t> cids = AddAll(control, texts, 0);
  EXPECT_EQ(control.Resolve(cids[0]), control.Resolve(cids[5]));
}

TEST(QuestionIndexSubstitutes, RestoredIndexMakesTheSameMergeDecision) {
  // The learned word contexts are rebuilt from the restored questions: a merge that happens after
  // a restart happens exactly as it would have without the restart.
  SimilarResult a = SameDecisionAfterRestart(SubstituteOptions(true), kCloseAccount);
  EXPECT_FALSE(a.merges.empty()) << "the 10th question completes the second group and merges";
}

// Two draft-sized groups with the same core words but different word order, so no question of
// one scores the other as a merge candidate (merge_candidates 0): only the sweep over all
// draft-sized groups can find them.
IndexOptions SweepOnly(bool sweep) {
  IndexOptions o;
  o.merge_threshold = 0.95;
  o.merge_candidates = 0;
  o.substitute_merge_threshold = sweep ? 0.2 : 2.0;
  return o;
}

TEST(QuestionIndexSweep, GroupsWithTheSameCoreWordsMergeAcrossTheWindow) {
  std::vector<std::string> texts(5, "card declined at the shop");
  texts.insert(texts.end(), 5, "the shop declined my card");
  for (bool sweep : {false, true}) {
    QuestionIndex index(SweepOnly(sweep));
    std::vector<uint64_t> ids = AddAll(index, texts, 0);
    EXPECT_NE(ids[0], ids[5]) << "the second wording starts its own group";
    EXPECT_EQ(index.Resolve(ids[0]) == index.Resolve(ids[5]), sweep) << "sweep " << sweep;
    EXPECT_EQ(index.GroupSize(ids[5]), sweep ? 10 : 5);
  }
}

TEST(QuestionIndexSweep, ACoreWordTheOtherGroupLacksKeepsThemApart) {
  std::vector<std::string> texts(5, "card declined at the shop");
  texts.insert(texts.end(), 5, "the shop abroad declined my card");
  QuestionIndex index(SweepOnly(true));
  std::vector<uint64_t> ids = AddAll(index, texts, 0);
  EXPECT_NE(index.Resolve(ids[0]), index.Resolve(ids[5]));
  EXPECT_EQ(index.GroupSize(ids[0]), 5);
  EXPECT_EQ(index.GroupSize(ids[5]), 5);
}

TEST(QuestionIndexSweep, RestoredIndexSweepsWhenTheLiveOneWould) {
  std::vector<std::string> texts(5, "card declined at the shop");
  texts.insert(texts.end(), 5, "the shop declined my card");
  SimilarResult a = SameDecisionAfterRestart(SweepOnly(true), texts);
  EXPECT_EQ(a.merges.size(), 1u) << "the 10th question makes the second group draft-sized";
}

}  // namespace
}  // namespace deskhook::faq
