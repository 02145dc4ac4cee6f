// connectors/common: HMAC, base64, hex, constant-time compare, HTML to text, ISO-8601.
#include <gtest/gtest.h>

#include "connectors/common/crypto.h"
#include "connectors/common/json_util.h"
#include "connectors/common/text.h"

namespace deskhook::common {
namespace {

TEST(Crypto, HmacMatchesRfcVectors) {
  // RFC 4231 test case 2 and RFC 2202 test case 2.
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(HexEncode(HmacSha1("Jefe", "what do ya want for nothing?")),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  EXPECT_EQ(HmacSha256Concat("Jefe", "what do ya ", "want for nothing?"),
            HmacSha256("Jefe", "what do ya want for nothing?"));
}

TEST(Crypto, HmacWithEmptyKeyAndMessage) {
  // Known value: HMAC-SHA256("", "").
  EXPECT_EQ(HexEncode(HmacSha256("", "")),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(Crypto, Base64RoundTrip) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\x00\xff\x10"}) {
    auto d = Base64Decode(Base64Encode(s));
    ASSERT_TRUE(d.has_value()) << s;
    EXPECT_EQ(*d, s);
  }
  EXPECT_FALSE(Base64Decode("Zg=").has_value());
  EXPECT_FALSE(Base64Decode("!!!!").has_value());
}

TEST(Crypto, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

TEST(HtmlToText, ParagraphsBreaksAndEntities) {
  EXPECT_EQ(HtmlToText("<p>Hello &amp; welcome</p><p>Line2<br>Line3<br/>Line4</p>"),
            "Hello & welcome\n\nLine2\nLine3\nLine4");
  EXPECT_EQ(HtmlToText("It&#39;s &lt;b&gt; not bold &#x1F600; &quot;q&quot;&nbsp;x"),
            "It's <b> not bold \xF0\x9F\x98\x80 \"q\" x");
  EXPECT_EQ(HtmlToText("<p>¿Dónde está mi pedido? 😤 Ça fait 3 semaines!</p>"),
            "¿Dónde está mi pedido? 😤 Ça fait 3 semaines!");
}

TEST(HtmlToText, DropsScriptsAndKeepsLooseText) {
  EXPECT_EQ(HtmlToText("<div>a<script>alert(1)</script>b</div><style>p{}</style>"), "ab");
  EXPECT_EQ(HtmlToText("1 < 2 and 3 > 2 & done &unknown;"), "1 < 2 and 3 > 2 & done &unknown;");
  EXPECT_EQ(HtmlToText("<p>  lots    of   space </p>\n\n\n<p>x</p>"), "lots of space\n\nx");
  EXPECT_EQ(HtmlToText("<a href=\"https://x\">link</a> text<!-- hidden -->"), "link text");
  EXPECT_EQ(HtmlToText(""), "");
  EXPECT_EQ(HtmlToText("<p>unclosed"), "unclosed");
}

TEST(Iso8601, ParsesUtcAndOffsets) {
  EXPECT_EQ(ParseIso8601Ms("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseIso8601Ms("2026-11-22T06:00:00Z"), 1795327200000LL);
  EXPECT_EQ(ParseIso8601Ms("2026-11-22T06:00:00.25Z"), 1795327200250LL);
  EXPECT_EQ(ParseIso8601Ms("2026-11-22T08:00:00+02:00"), 1795327200000LL);
  EXPECT_EQ(ParseIso8601Ms("2026-11-22T01:30:00-0430"), 1795327200000LL);
  EXPECT_EQ(ParseIso8601Ms("2026-11-22 06:00:00 UTC"), 1795327200000LL);
  EXPECT_EQ(ParseIso8601Ms("2000-02-29T23:59:59Z"), 951868799000LL);
}

TEST(Iso8601, RejectsOtherText) {
  for (const char* bad : {"", "1795327200", "2026-11-22", "2026-13-01T00:00:00Z",
                          "2026-11-22T06:00Z", "2026-11-22T06:00:00 PST", "2026-11-22T06:00:00+2",
                          "yesterday"}) {
    EXPECT_FALSE(ParseIso8601Ms(bad).has_value()) << bad;
  }
}

TEST(Text, PriorityAndSplitting) {
  EXPECT_EQ(NormalizePriority("High"), "high");
  EXPECT_EQ(NormalizePriority(" URGENT "), "urgent");
  EXPECT_EQ(NormalizePriority("-"), "");
  EXPECT_EQ(NormalizePriority(""), "");
  EXPECT_EQ(SplitWhitespace("  refund  returns\tvip "), (std::vector<std::string>{"refund", "returns", "vip"}));
  EXPECT_TRUE(SplitWhitespace("   ").empty());
}

TEST(JsonUtil, ParseErrorsAreValues) {
  EXPECT_EQ(ParseJsonObject("{\"a\":").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ParseJsonObject("[1,2]").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ParseJsonObject("{\"a\":\"\xff\"}").status().code(), Code::kInvalidArgument);  // bad UTF-8
  std::string deep(1000, '[');
  EXPECT_EQ(ParseJsonObject(deep).status().code(), Code::kInvalidArgument);
  auto ok = ParseJsonObject("{\"id\":35436,\"s\":\"x\",\"n\":null,\"b\":true,\"big\":18446744073709551615}");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(TextAt(&ok.value(), "id"), "35436");
  EXPECT_EQ(TextAt(&ok.value(), "n"), "");
  EXPECT_EQ(TextAt(&ok.value(), "missing"), "");
  EXPECT_EQ(TextAt(&ok.value(), "big"), "18446744073709551615");
  EXPECT_EQ(IntAt(&ok.value(), "id"), 35436);
  EXPECT_FALSE(IntAt(&ok.value(), "s").has_value());
  EXPECT_EQ(BoolAt(&ok.value(), "b"), true);
}

}  // namespace
}  // namespace deskhook::common
