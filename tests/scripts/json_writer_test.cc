// The decision log's JSON writer: strings as boost::json prints them, scores rounded for people.
#include "scripts/json_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include <boost/json.hpp>

namespace deskhook::scripts::jsonw {
namespace {

std::string ScoreText(double v) {
  std::string out;
  Score(&out, v);
  return out;
}

TEST(JsonWriterScore, RoundsToFourDecimalsWithoutExponent) {
  EXPECT_EQ(ScoreText(-0.8831604566768997), "-0.8832");
  EXPECT_EQ(ScoreText(static_cast<double>(0.8f)), "0.8");
  EXPECT_EQ(ScoreText(-2.0), "-2");
  EXPECT_EQ(ScoreText(0.0), "0");
  EXPECT_EQ(ScoreText(1e-9), "0");
  EXPECT_EQ(ScoreText(-1e-9), "0");  // not "-0"
  EXPECT_EQ(ScoreText(0.00005), "0.0001");
  EXPECT_EQ(ScoreText(12.5), "12.5");
}

TEST(JsonWriterScore, NotFiniteIsNull) {
  EXPECT_EQ(ScoreText(std::numeric_limits<double>::quiet_NaN()), "null");
  EXPECT_EQ(ScoreText(std::numeric_limits<double>::infinity()), "null");
}

TEST(JsonWriterScore, IsValidJsonWithinHalfAUnitOfTheLastDecimal) {
  for (double v : {-1.0, -0.98765, -0.123456, 0.0001234, 0.5, 0.99999, 3.14159265}) {
    std::string doc = "[" + ScoreText(v) + "]";
    boost::json::value parsed = boost::json::parse(doc);
    double back = parsed.as_array()[0].to_number<double>();
    EXPECT_NEAR(back, v, 0.00005 + 1e-12) << doc;
  }
}

TEST(JsonWriterStr, MatchesBoostSerialize) {
  for (std::string s : {std::string("plain"), std::string("quote \" and \\ slash"),
                        std::string("tab\tnew\nline\x01"), std::string("caf\xc3\xa9")}) {
    std::string out;
    Str(&out, s);
    EXPECT_EQ(out, boost::json::serialize(boost::json::value(s))) << s;
  }
}

TEST(JsonWriterStrings, MatchesBoostSerialize) {
  for (const std::vector<std::string>& v : {std::vector<std::string>{}, std::vector<std::string>{"one"},
                                            std::vector<std::string>{"a \"b\"", "", "c\nd"}}) {
    std::string out;
    Strings(&out, v);
    EXPECT_EQ(out, boost::json::serialize(boost::json::value_from(v)));
  }
}

}  // namespace
}  // namespace deskhook::scripts::jsonw
