// The dictionary behind the scorer: key normalisation, phrase groups, rule-file errors.
#include <gtest/gtest.h>

#include <string>

#include "sentiment/lexicon.h"

namespace deskhook::sentiment {
namespace {

TEST(Lexicon, NormalizesKeysLikeTheTokenizer) {
  EXPECT_EQ(Lexicon::NormalizeKey("Don\xE2\x80\x99t  STOP"), "don't stop");
  EXPECT_EQ(Lexicon::NormalizeKey("talk to a human"), "talk to human");  // 1-char words drop
  EXPECT_EQ(Lexicon::NormalizeKey("\xC3\x89NORME"), "\xC3\xA9norme");
}

TEST(Lexicon, ExpandsGroupsIncludingNestedAndOptional) {
  Lexicon lex;
  std::string error;
  ASSERT_TRUE(lex.LoadRules("churn_risk\t0.8\t(cancel|end) my (plan|account (now|today)|)\n", "t", &error))
      << error;
  for (const char* key : {"cancel my plan", "end my plan", "cancel my account now",
                          "end my account today", "cancel my"}) {
    const Entry* e = lex.Find(key);
    ASSERT_NE(e, nullptr) << key;
    EXPECT_NEAR(e->signal(kChurnRisk), 0.8, 0.01) << key;
  }
  const Entry* prefix = lex.Find("cancel my account");
  ASSERT_NE(prefix, nullptr);
  EXPECT_TRUE(prefix->flags & Entry::kPrefix);
  EXPECT_FALSE(prefix->flags & Entry::kSignal);
}

TEST(Lexicon, ParenthesesWithoutAlternativesAreLiteral) {
  Lexicon lex;
  std::string error;
  ASSERT_TRUE(lex.LoadRules("valence\t-2\t:(\nvalence\t2\t(:\n", "t", &error)) << error;
  ASSERT_NE(lex.Find(":("), nullptr);
  EXPECT_FLOAT_EQ(lex.Find(":(")->valence, -2);
  EXPECT_FLOAT_EQ(lex.Find("(:")->valence, 2);
}

TEST(Lexicon, RejectsBadLinesWithLineNumbers) {
  Lexicon lex;
  std::string error;
  EXPECT_FALSE(lex.LoadRules("valence\t1\tok\nurgency\t1.5\ttoo heavy\n", "ops.tsv", &error));
  EXPECT_EQ(error.rfind("ops.tsv:2:", 0), 0u) << error;
  EXPECT_FALSE(lex.LoadRules("flavour\t1\tword\n", "ops.tsv", &error));
  EXPECT_NE(error.find("unknown kind"), std::string::npos) << error;
  EXPECT_FALSE(lex.LoadRules("justoneword\n", "ops.tsv", &error));
}

TEST(Lexicon, VaderFormatPrefersLowerCaseKeys) {
  Lexicon lex;
  std::string error;
  ASSERT_TRUE(lex.LoadVader("OK\t1.2\t0.5\t[1]\nok\t1.6\t0.5\t[2]\n:D\t2.3\t1\t[2]\n", &error)) << error;
  EXPECT_FLOAT_EQ(lex.Find("ok")->valence, 1.6f);
  EXPECT_FLOAT_EQ(lex.Find(":d")->valence, 2.3f);
}

}  // namespace
}  // namespace deskhook::sentiment
