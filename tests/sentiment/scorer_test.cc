// One test per valence rule of the built-in scorer.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>

#include "sentiment/sentiment.h"

namespace deskhook::sentiment {
namespace {

class ScorerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string error;
    scorer_ = Scorer::Create({}, &error).release();
    ASSERT_NE(scorer_, nullptr) << error;
  }
  static void TearDownTestSuite() { delete scorer_; }
  static double C(std::string_view text) { return scorer_->Compound(text); }
  static Scorer* scorer_;
};
Scorer* ScorerTest::scorer_ = nullptr;

bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = s[i];
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

TEST_F(ScorerTest, PolarityOfPlainWords) {
  EXPECT_GT(C("The support team was helpful"), 0.3);
  EXPECT_LT(C("The reply was useless"), -0.3);
  EXPECT_EQ(C("The ticket id is 4411"), 0.0);
  EXPECT_EQ(C(""), 0.0);
}

TEST_F(ScorerTest, NegationFlipsPolarity) {
  EXPECT_GT(C("The app is good"), 0.3);
  EXPECT_LT(C("The app is not good"), -0.3);
  EXPECT_LT(C("The app isn't good"), -0.3);
  EXPECT_LT(C("The app is never good"), -0.3);
  EXPECT_GT(C("The app is not bad"), 0.1);
  // Typographic apostrophes are the same contraction.
  EXPECT_DOUBLE_EQ(C("I don\xE2\x80\x99t like it"), C("I don't like it"));
  EXPECT_LT(C("I don't like it"), -0.2);
}

TEST_F(ScorerTest, NegationScopeEndsAtClausePunctuation) {
  // "not" three words back negates; a comma between stops it.
  EXPECT_LT(C("It is not really that good"), 0);
  EXPECT_GT(C("Not sure why, but it is good now"), 0.3);
  EXPECT_GT(C("I did not expect it. Great job"), 0.3);
}

TEST_F(ScorerTest, ButShiftsWeightToWhatFollows) {
  const double bad_after = C("The food is great but the service is bad");
  const double good_after = C("The food is bad but the service is great");
  EXPECT_LT(bad_after, 0);
  EXPECT_GT(good_after, 0);
  // Without "but" the same words nearly cancel; "but" moves the balance.
  EXPECT_GT(C("The food is great and the service is bad"), bad_after);
  // A sentence opening with "But" weighs against the previous sentence.
  EXPECT_LT(C("The agent was nice. But the problem is still terrible."), 0);
}

TEST_F(ScorerTest, ConcessionDiscountsItsClause) {
  EXPECT_GT(C("Although the setup was annoying, the product is great"), 0.3);
  EXPECT_LT(C("Although the product is great, the setup was annoying and awful"), 0);
}

TEST_F(ScorerTest, AllCapsAmplifiesAmongLowerCase) {
  EXPECT_GT(C("This is GREAT news"), C("This is great news"));
  EXPECT_LT(C("This is TERRIBLE news"), C("This is terrible news"));
  // All words in capitals is not emphasis of one word.
  EXPECT_DOUBLE_EQ(C("GREAT NEWS"), C("great news"));
}

TEST_F(ScorerTest, ExclamationAndQuestionMarksAmplify) {
  EXPECT_GT(C("This is great!!!"), C("This is great"));
  EXPECT_LT(C("This is awful!!!"), C("This is awful"));
  EXPECT_LT(C("Why is this so awful???"), C("Why is this so awful"));
  EXPECT_EQ(C("!!!"), 0.0);  // punctuation alone carries no valence
}

TEST_F(ScorerTest, BoostersAndDampeners) {
  EXPECT_GT(C("The update is very good"), C("The update is good"));
  EXPECT_LT(C("The update is kind of good"), C("The update is good"));
  EXPECT_GT(C("The update is kind of good"), 0);
  EXPECT_LT(C("The update is extremely bad"), C("The update is bad"));
  // A dual-role word boosts the sentiment word it precedes ("pretty bad" is bad).
  EXPECT_LT(C("The update is pretty bad"), C("The update is bad"));
  EXPECT_GT(C("She is pretty"), 0);
}

TEST_F(ScorerTest, ElongatedWordsMatchAndAmplify) {
  EXPECT_GT(C("this is goooood"), C("this is good"));
  EXPECT_GT(C("sooo happy"), C("happy"));
  EXPECT_LT(C("this is baaaad"), -0.3);
}

TEST_F(ScorerTest, EmoticonsAndEmoji) {
  EXPECT_GT(C(":)"), 0.2);
  EXPECT_LT(C(":("), -0.2);
  EXPECT_GT(C("thanks:)"), C("thanks"));  // emoticon glued to a word
  EXPECT_GT(C("\xF0\x9F\x98\x80"), 0.3);   // grinning face
  EXPECT_LT(C("\xF0\x9F\x98\xA1"), -0.3);  // pouting face
  EXPECT_GT(C("great\xF0\x9F\x98\x80"), C("great"));
  // Skin tones and variation selectors do not change the emoji.
  EXPECT_DOUBLE_EQ(C("\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD"), C("\xF0\x9F\x91\x8D"));
  EXPECT_DOUBLE_EQ(C("\xE2\x9D\xA4\xEF\xB8\x8F"), C("\xE2\x9D\xA4"));
  // Negation does not reach an emoji: "not happy 😢" is negative throughout.
  EXPECT_LT(C("not happy \xF0\x9F\x98\xA2"), C("not happy"));
}

TEST_F(ScorerTest, IdiomsAndPhrases) {
  EXPECT_LT(C("yeah right"), -0.2);
  EXPECT_GT(C("that party was the bomb"), 0.3);
  EXPECT_LT(C("It is still not working"), -0.3);
  EXPECT_LT(C("what a waste of time"), -0.3);
  // A request for help is not praise.
  EXPECT_LE(C("Please help me"), 0.05);
  EXPECT_LT(C("the least helpful reply"), 0);
  EXPECT_GT(C("at least it works now, thanks"), 0);
}

TEST_F(ScorerTest, InterjectionsAreNotNegated) {
  EXPECT_GT(C("I have no idea lol"), 0);
  EXPECT_DOUBLE_EQ(C("not lol"), C("lol"));
}

TEST_F(ScorerTest, LikeCountsOnlyAsAVerb) {
  EXPECT_GT(C("I like it"), 0.2);
  EXPECT_LT(C("I don't like it"), -0.2);
  EXPECT_EQ(C("It looks like the export ran"), 0.0);
  EXPECT_EQ(C("I would like a refund"), 0.0);
}

TEST_F(ScorerTest, NotLikeComparesUnlessAnAuxiliaryMakesItAVerb) {
  EXPECT_EQ(C("it is not like the old version"), 0.0);
  EXPECT_EQ(C("execute like lightning not like wind"), 0.0);
  EXPECT_LT(C("we do not like the new layout"), -0.2);
  EXPECT_LT(C("we did not like it"), -0.2);
}

TEST_F(ScorerTest, EachNegatorNegatesItsOwnWordOnce) {
  // The first "don't" belongs to the first "care": repeating the phrase stays negative.
  EXPECT_LT(C("don't care"), -0.2);
  EXPECT_LT(C("don't care don't care"), -0.2);
  EXPECT_LT(C("don't care don't care don't care"), C("don't care"));
  // One negator still reaches a coordinated word.
  EXPECT_LT(C("the agent was not helpful or friendly"), -0.2);
}

TEST_F(ScorerTest, InflectedAndDroppedGFormsMatch) {
  EXPECT_LT(C("the app crashes"), -0.3);        // crash
  EXPECT_LT(C("it frustrates me"), -0.3);       // frustrate
  EXPECT_GT(C("lovin it"), 0.3);                // loving
  EXPECT_GT(C("the coolest tool"), 0.3);        // cool
}

TEST_F(ScorerTest, HtmlEntitiesAreNotWords) {
  // "&gt;" is not the lexicon's "gt" (good times).
  EXPECT_EQ(C("Play &gt; Stop &gt; Rewind"), C("Play > Stop > Rewind"));
  EXPECT_EQ(C("see this &gt;&gt; http://example.com"), 0.0);  // a run of entities
  EXPECT_EQ(C("&lt;&lt;&amp;"), 0.0);
}

TEST_F(ScorerTest, InformationQuestionsDoNotAssertTheirWords) {
  EXPECT_EQ(C("Any good films on this week?"), 0.0);
  EXPECT_EQ(C("@acme what time is a good time to call tomorrow?"), 0.0);
  EXPECT_EQ(C("Is it a bad idea to reinstall the app?"), 0.0);
  // Only the question sentence is blocked.
  EXPECT_GT(C("Great update. Is there a free trial?"), 0.3);
  // Statements, "why"/"how" questions and emphatic (rhetorical) questions keep their sentiment.
  EXPECT_GT(C("It is a good time to call"), 0.3);
  EXPECT_LT(C("Why is it so bad?"), -0.3);
  EXPECT_LT(C("What the hell is wrong with this app?"), -0.3);
  EXPECT_LT(C("Did you even read my terrible review?"), -0.3);
  EXPECT_LT(C("Is it really that bad?"), -0.3);
  EXPECT_GT(C("@acme did you get my thank you card? :)"), 0.2);  // emoticons still count
}

TEST_F(ScorerTest, ClosingBracketIsNotAnEmoticonMouth) {
  // "]:" would be a frown, but here it closes "[" from the same chunk.
  EXPECT_EQ(C("read the report [Florida]: http://example.com"), 0.0);
  EXPECT_EQ(C("posted from (Florida): it is long"), 0.0);
  EXPECT_LT(C("lost my keys ]:"), -0.2);  // a real emoticon still counts
}

TEST_F(ScorerTest, SentenceFinalThoughIsNotAConcession) {
  EXPECT_DOUBLE_EQ(C("it was scary though"), C("it was scary"));
}

TEST_F(ScorerTest, CaseInsensitiveLookups) {
  EXPECT_DOUBLE_EQ(C("Good Service"), C("good service"));
  EXPECT_DOUBLE_EQ(C("Horrible"), C("horrible"));
}

TEST_F(ScorerTest, ScoreMatchesCompoundAndExplains) {
  const MessageScore s = scorer_->Score("This is unacceptable, I am very disappointed");
  EXPECT_DOUBLE_EQ(s.compound, C("This is unacceptable, I am very disappointed"));
  EXPECT_LT(s.compound, -0.5);
  EXPECT_NEAR(s.pos + s.neg + s.neu, 1.0, 1e-9);
  EXPECT_GT(s.neg, s.pos);
  bool found = false;
  for (size_t i = 0; i < s.terms.size(); ++i) {
    if (s.terms[i].text == "unacceptable" && s.terms[i].signal == "valence") {
      found = true;
      EXPECT_LT(s.terms[i].weight, 0);
    }
    if (i > 0) {
      EXPECT_GE(std::fabs(s.terms[i - 1].weight), std::fabs(s.terms[i].weight));
    }
  }
  EXPECT_TRUE(found);
  const MessageScore negated = scorer_->Score("not good");
  ASSERT_FALSE(negated.terms.empty());
  EXPECT_EQ(negated.terms[0].text, "not good");
  EXPECT_LT(negated.terms[0].weight, 0);
}

TEST_F(ScorerTest, CompoundStaysInRange) {
  std::string many;
  for (int i = 0; i < 500; ++i) many += "AMAZING!!! ";
  EXPECT_LE(C(many), 1.0);
  EXPECT_GT(C(many), 0.9);
}

TEST_F(ScorerTest, LongMessagesUseTheSameRules) {
  // Neutral words do not move the compound, whether the text fits the stack buffers or not.
  std::string padded = "great service";
  for (int i = 0; i < 1000; ++i) padded += " the";
  EXPECT_GT(padded.size(), 4000u);
  EXPECT_DOUBLE_EQ(C(padded), C("great service"));
}

TEST_F(ScorerTest, Utf8NeverBreaks) {
  EXPECT_EQ(C("\xD0\x9E\xD1\x82\xD0\xBB\xD0\xB8\xD1\x87\xD0\xBD\xD0\xBE"), 0.0);  // Cyrillic
  EXPECT_GT(C("caf\xC3\xA9 is good"), 0.3);
  // Invalid and truncated sequences, lone continuation bytes, overlong encodings.
  for (const char* bad : {"\xFF\xFE good", "good \xE2\x82", "\x80\x80\x80 bad", "\xC0\xAF terrible",
                          "\xED\xA0\x80 nice", "\xF4\x90\x80\x80 awful", "ok \xF0\x9F\x98"}) {
    const MessageScore s = scorer_->Score(bad);
    EXPECT_TRUE(std::isfinite(s.compound)) << bad;
    for (const auto& t : s.terms) EXPECT_TRUE(ValidUtf8(t.text)) << t.text;
  }
  std::mt19937 rng(42);
  for (int i = 0; i < 3000; ++i) {
    std::string s(rng() % 300, '\0');
    for (char& c : s) c = static_cast<char>(rng() & 0xFF);
    const MessageScore r = scorer_->Score(s);
    ASSERT_GE(r.compound, -1.0);
    ASSERT_LE(r.compound, 1.0);
    for (const auto& t : r.terms) ASSERT_TRUE(ValidUtf8(t.text));
    ASSERT_DOUBLE_EQ(C(s), r.compound);
  }
}

TEST(ScorerOptions, OperatorLexiconAddsTermsAndPhrases) {
  const std::string path = ::testing::TempDir() + "deskhook_operator_lexicon.tsv";
  {
    std::ofstream f(path);
    f << "# our product's words\n"
         "valence\t-3.0\tdumpster fire\n"
         "zorbly\t2.5\n"
         "churn_risk\t0.9\tmove to (acme|globex)\n";
  }
  std::string error;
  Options options;
  options.extra_lexicon_path = path;
  auto scorer = Scorer::Create(options, &error);
  ASSERT_NE(scorer, nullptr) << error;
  EXPECT_LT(scorer->Compound("this release is a dumpster fire"), -0.4);
  EXPECT_GT(scorer->Compound("zorbly"), 0.3);
  EXPECT_GT(scorer->Score("we will move to Globex").churn_risk, 0.85);
  auto plain = Scorer::Create({}, &error);
  EXPECT_EQ(plain->Compound("zorbly"), 0.0);
  std::remove(path.c_str());
}

TEST(ScorerOptions, BadOperatorLexiconIsAClearError) {
  const std::string path = ::testing::TempDir() + "deskhook_bad_lexicon.tsv";
  {
    std::ofstream f(path);
    f << "valence\t-2\tok line\nvalence\tlots\tbad line\n";
  }
  std::string error;
  Options options;
  options.extra_lexicon_path = path;
  EXPECT_EQ(Scorer::Create(options, &error), nullptr);
  EXPECT_NE(error.find(":2:"), std::string::npos) << error;
  options.extra_lexicon_path = path + ".missing";
  EXPECT_EQ(Scorer::Create(options, &error), nullptr);
  EXPECT_NE(error.find("cannot read"), std::string::npos) << error;
  std::remove(path.c_str());
}

// The tokenizer reads plain ASCII 8 bytes at a time: a word must score the same wherever it
// falls relative to those 8-byte steps, and whatever its case or length.
TEST_F(ScorerTest, WordsScoreTheSameAtEveryByteOffset) {
  const std::string sentences[] = {"this is absolutely wonderful, thanks",
                                   "UNACCEPTABLE service, sooo disappointing!!",
                                   "not good at all, extraordinarily frustrating"};
  for (const auto& text : sentences) {
    const double reference = scorer_->Compound(text);
    EXPECT_NE(reference, 0.0) << text;
    for (int pad = 1; pad <= 16; ++pad) {
      const std::string padded = std::string(static_cast<size_t>(pad), ' ') + text;
      EXPECT_DOUBLE_EQ(scorer_->Compound(padded), reference) << "offset " << pad << ": " << text;
      EXPECT_DOUBLE_EQ(scorer_->Score(padded).compound, reference) << "offset " << pad << ": " << text;
    }
  }
}

}  // namespace
}  // namespace deskhook::sentiment
