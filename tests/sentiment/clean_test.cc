// CleanMessage keeps what the customer wrote now.
#include <gtest/gtest.h>

#include <string>

#include "sentiment/sentiment.h"

namespace deskhook::sentiment {
namespace {

bool Contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

TEST(CleanMessage, DropsQuotedLines) {
  const std::string out = CleanMessage("Still broken.\n\n> We are happy to help!\n> Great news");
  EXPECT_EQ(out, "Still broken.");
}

TEST(CleanMessage, CutsAtReplyHeader) {
  const std::string out = CleanMessage(
      "Thanks for nothing.\r\n\r\nOn Tue, 4 Jun 2024 at 10:00, Support <help@example.com> wrote:\r\n"
      "We are delighted to help you!\r\n");
  EXPECT_EQ(out, "Thanks for nothing.");
  // Mail clients wrap long headers over two lines.
  const std::string wrapped = CleanMessage(
      "No change here.\nOn Tue, 4 Jun 2024 at 10:00, Very Long Support Team Name <\n"
      "help@example.com> wrote:\nWonderful!");
  EXPECT_EQ(wrapped, "No change here.");
}

TEST(CleanMessage, CutsOutlookHeaders) {
  EXPECT_EQ(CleanMessage("Not fixed.\n-----Original Message-----\nFrom: a\nGreat!"), "Not fixed.");
  EXPECT_EQ(CleanMessage("Not fixed.\n\nFrom: Support\nSent: Monday\nSubject: great"), "Not fixed.");
}

TEST(CleanMessage, DropsSignatures) {
  EXPECT_EQ(CleanMessage("The export fails.\n-- \nJane Doe\nAcme Corp"), "The export fails.");
  EXPECT_EQ(CleanMessage("The export fails again.\n\nThanks,\nJane Doe\nHead of Ops, Acme\n+1 555 0100"),
            "The export fails again.");
  EXPECT_EQ(CleanMessage("It crashed.\n\nSent from my iPhone"), "It crashed.");
  // A reply that is only thanks is what the customer wrote.
  EXPECT_EQ(CleanMessage("Thanks!"), "Thanks!");
}

TEST(CleanMessage, StripsHtml) {
  const std::string out = CleanMessage(
      "<html><head><style>p{color:red}</style></head><body><p>I am <b>very</b> upset</p>"
      "<p>Order&nbsp;&#35;12 &amp; &lt;3 &#x1F600;</p><script>alert('great')</script>"
      "<blockquote>we love you, great service</blockquote></body></html>");
  EXPECT_TRUE(Contains(out, "I am very upset")) << out;
  EXPECT_TRUE(Contains(out, "Order #12 & <3 \xF0\x9F\x98\x80")) << out;
  EXPECT_FALSE(Contains(out, "great")) << out;
  EXPECT_FALSE(Contains(out, "color")) << out;
  for (const char* tag : {"<p", "</p", "<b", "<html", "<script", "<blockquote"}) {
    EXPECT_FALSE(Contains(out, tag)) << out;
  }
}

TEST(CleanMessage, DropsGmailQuoteContainer) {
  const std::string out = CleanMessage(
      "<div dir=\"ltr\">Still waiting.<br></div><div class=\"gmail_quote\"><div>On Mon, Support "
      "wrote:</div><blockquote>Fantastic, glad to help</blockquote></div>");
  EXPECT_EQ(out, "Still waiting.");
}

TEST(CleanMessage, PlainTextWithAngleBracketsIsNotHtml) {
  EXPECT_EQ(CleanMessage("if a < b and c > d then it breaks"), "if a < b and c > d then it breaks");
}

TEST(CleanMessage, QuotedPraiseDoesNotLiftTheScore) {
  std::string error;
  auto scorer = Scorer::Create({}, &error);
  ASSERT_NE(scorer, nullptr) << error;
  const std::string raw =
      "This is still broken and I am angry.\n\nOn Mon, Support <s@example.com> wrote:\n"
      "> Great news, we fixed it! We love happy customers :)\n";
  EXPECT_GT(scorer->Compound(raw), scorer->Compound(CleanMessage(raw)));
  EXPECT_LT(scorer->Compound(CleanMessage(raw)), -0.3);
}

}  // namespace
}  // namespace deskhook::sentiment
