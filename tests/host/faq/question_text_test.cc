#include "host/faq/question_text.h"

#include <gtest/gtest.h>

#include "host/faq/faq_draft.h"

namespace deskhook::faq {
namespace {

TEST(CleanQuestion, DropsGreetingSignOffAndQuotedText) {
  EXPECT_EQ(CleanQuestion("Hi team,\nMy card has not arrived yet. Where is it?\n\nThanks,\nJohn"),
            "My card has not arrived yet. Where is it?");
  EXPECT_EQ(CleanQuestion("Hello there! How do I reset my password?"),
            "How do I reset my password?");
  EXPECT_EQ(CleanQuestion("How do I reset my password? Thanks, John"),
            "How do I reset my password?");
  EXPECT_EQ(CleanQuestion("Why was I charged twice?\nOn Mon, 3 Jun 2024, Support wrote:\n> old text"),
            "Why was I charged twice?");
  EXPECT_EQ(CleanQuestion("Can I change my PIN?\n> quoted line\n-- \nJane Doe\nACME Corp"),
            "Can I change my PIN?");
  EXPECT_EQ(CleanQuestion("Good morning support - is the app down?\nSent from my iPhone"),
            "is the app down?");
  EXPECT_EQ(CleanQuestion("Thanks!"), "");
}

TEST(CleanQuestion, KeepsTextThatMerelyStartsLikeAGreeting) {
  EXPECT_EQ(CleanQuestion("Highest fee on my statement?"), "Highest fee on my statement?");
  EXPECT_EQ(CleanQuestion("Good news is not what I got: card blocked"),
            "Good news is not what I got: card blocked");
}

TEST(Stem, FoldsInflectionsAndDerivations) {
  EXPECT_EQ(Stem("cards"), "card");
  EXPECT_EQ(Stem("charged"), Stem("charge"));
  EXPECT_EQ(Stem("charging"), Stem("charges"));
  EXPECT_EQ(Stem("stopped"), "stop");
  EXPECT_EQ(Stem("applied"), Stem("apply"));
  EXPECT_EQ(Stem("verifying"), Stem("verified"));
  EXPECT_EQ(Stem("activation"), Stem("activate"));
  EXPECT_EQ(Stem("status"), "status");
  EXPECT_EQ(Stem("address"), "address");
  EXPECT_NE(Stem("card"), Stem("cart"));
}

TEST(Analyzer, InflectedFunctionWordsAreStopWords) {
  Analyzer a;
  // "getting"/"needed"/"wanted" carry no more of the question than "get"/"need"/"want".
  EXPECT_EQ(a.Words("getting a card"), a.Words("a card"));
  EXPECT_EQ(a.Words("I needed and wanted a refund"), (std::vector<std::string>{Stem("refund")}));
  EXPECT_EQ(a.Words("card helps"), a.Words("card"));
}

TEST(Analyzer, StopWordsNegationsAndBigrams) {
  Analyzer a;
  auto terms = a.Analyze("My card doesn't work");
  EXPECT_EQ(terms, (std::vector<std::string>{"card", "not", "work", "card_not", "not_work"}));
  Analyzer no_bigrams(AnalyzerOptions{.bigrams = false});
  EXPECT_EQ(no_bigrams.Analyze("the cards, the CARD"), (std::vector<std::string>{"card"}));
}

TEST(Analyzer, SynonymsMapToTheCanonicalWord) {
  Analyzer a(AnalyzerOptions{.bigrams = false});
  ASSERT_TRUE(a.SetSynonyms("refund, reimbursement, money back\n# comment\n").ok());
  EXPECT_EQ(a.Analyze("I want my money back"), a.Analyze("I want a refund"));
  EXPECT_EQ(a.Analyze("reimbursement please"), (std::vector<std::string>{"refund"}));
  EXPECT_FALSE(a.SetSynonyms("lonely\n").ok());
  EXPECT_EQ(a.Analyze("money back"), (std::vector<std::string>{"refund"}));  // table kept
}

TEST(QuestionTitle, PhrasesTheQuestion) {
  EXPECT_EQ(QuestionTitle("my card has not arrived. where is my card?"), "Where is my card?");
  EXPECT_EQ(QuestionTitle("reset password"), "Reset password?");
  EXPECT_EQ(QuestionTitle(""), "");
}

TEST(ComposeGroupDraft, ListsVariantsEscapedAndTheAnswer) {
  FaqDraft d = ComposeGroupDraft({"how do I <reset> my pin?", "forgot pin", "forgot pin"},
                                 {"", "Go to Settings > PIN."}, 12, "zd:7");
  EXPECT_EQ(d.title, "How do I <reset> my pin?");
  EXPECT_NE(d.body_html.find("<li>how do I &lt;reset&gt; my pin?</li>"), std::string::npos);
  EXPECT_EQ(d.body_html.find("<li>forgot pin</li>"), d.body_html.rfind("<li>forgot pin</li>"));
  EXPECT_NE(d.body_html.find("Go to Settings &gt; PIN."), std::string::npos);
  EXPECT_EQ(d.group_key, "zd:7");
}

}  // namespace
}  // namespace deskhook::faq
