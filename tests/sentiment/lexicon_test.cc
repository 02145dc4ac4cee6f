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

TEST(Lexicon, PaddedWordHashEqualsWordHashAtEveryLengthAndOffset) {
  // The tokenizer hashes words with WordHashPadded (8-byte loads that ignore what lies past the
  // word); keys are stored under WordHash. Both must agree, whatever the padding bytes hold.
  std::string text;
  for (int i = 0; i < 64; ++i) text.push_back(static_cast<char>('a' + (i * 7) % 26));
  text += "\xC3\xA9:)<3";
  for (size_t b = 0; b < text.size(); ++b) {
    for (size_t n = 0; b + n <= text.size(); ++n) {
      std::string padded = text.substr(b, n) + std::string(8, '\xFF');
      ASSERT_EQ(Lexicon::WordHashPadded(padded.data(), n), Lexicon::WordHash(text.data() + b, n))
          << b << "+" << n;
      padded.replace(n, 8, std::string(8, '\0'));
      ASSERT_EQ(Lexicon::WordHashPadded(padded.data(), n), Lexicon::WordHash(text.data() + b, n));
    }
  }
}

TEST(Lexicon, EmptyLexiconFindsNothing) {
  Lexicon lex;
  EXPECT_EQ(lex.Find("good"), nullptr);
  EXPECT_EQ(lex.Find(""), nullptr);
  EXPECT_EQ(lex.size(), 0u);
}

TEST(Lexicon, EdgeFilterKnowsEveryKeyWithPunctuationAtAnEnd) {
  Lexicon lex;
  std::string error;
  ASSERT_TRUE(lex.LoadRules("valence\t2\t:)\nvalence\t2\t<3\nvalence\t-2\td:\n"
                            "valence\t1\t#win\nvalence\t1\tgreat\n", "t", &error)) << error;
  for (const std::string key : {":)", "<3", "d:", "#win"}) {
    EXPECT_TRUE(lex.MayBeEdgeKey(key.data(), key.size())) << key;
  }
  const std::string word = "great!";  // not a key; the filter may say so without a lookup
  EXPECT_EQ(lex.Find(word), nullptr);
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
