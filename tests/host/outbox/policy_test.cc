// Retry policy, rate limiter, circuit breaker, options parsing and small helpers.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "host/circuit_breaker.h"
#include "host/outbox.h"
#include "host/rate_limiter.h"
#include "host/retry_policy.h"

namespace deskhook {
namespace {

TEST(RetryPolicy, BackoffGrowsExponentiallyUpToTheCap) {
  BackoffPolicy p{500, 300000};
  EXPECT_EQ(BackoffCapMs(p, 1), 500);
  EXPECT_EQ(BackoffCapMs(p, 2), 1000);
  EXPECT_EQ(BackoffCapMs(p, 5), 8000);
  EXPECT_EQ(BackoffCapMs(p, 20), 300000);
  EXPECT_EQ(BackoffCapMs(p, 1000), 300000);  // no overflow
}

TEST(RetryPolicy, FullJitterStaysWithinTheCapAndVaries) {
  BackoffPolicy p{500, 300000};
  std::mt19937_64 rng(7);
  std::set<int64_t> seen;
  for (int i = 0; i < 200; ++i) {
    int64_t d = BackoffDelayMs(p, 4, rng);
    ASSERT_GE(d, 0);
    ASSERT_LE(d, 4000);
    seen.insert(d);
  }
  EXPECT_GT(seen.size(), 50u);  // jittered, not a constant
}

TEST(RetryPolicy, RetryAfterSecondsAndHttpDate) {
  EXPECT_EQ(ParseRetryAfterMs("120", 0), 120000);
  EXPECT_EQ(ParseRetryAfterMs(" 3 ", 0), 3000);
  // Wed, 21 Oct 2015 07:28:00 GMT = 1445412480
  const int64_t at = 1445412480LL * 1000;
  EXPECT_EQ(ParseRetryAfterMs("Wed, 21 Oct 2015 07:28:00 GMT", at - 5000), 5000);
  EXPECT_EQ(ParseRetryAfterMs("Wed, 21 Oct 2015 07:28:00 GMT", at + 5000), 0);
  EXPECT_FALSE(ParseRetryAfterMs("", 0).has_value());
  EXPECT_FALSE(ParseRetryAfterMs("soon", 0).has_value());
  EXPECT_FALSE(ParseRetryAfterMs("-5", 0).has_value());
}

TEST(RetryPolicy, RateLimitResetEpochOrDelta) {
  const int64_t now = 1700000000LL * 1000 + 250;
  EXPECT_EQ(ParseRateLimitResetMs("1700000010", now), 9750);
  EXPECT_EQ(ParseRateLimitResetMs("1699999990", now), 0);
  EXPECT_EQ(ParseRateLimitResetMs("30", now), 30000);  // Zendesk ratelimit-reset: seconds
  EXPECT_FALSE(ParseRateLimitResetMs("x", now).has_value());
}

TEST(RateLimiter, BurstThenRate) {
  RateLimiter rl(10, 3);  // 10/s, burst 3
  EXPECT_EQ(rl.TryAcquire(1000), 0);
  EXPECT_EQ(rl.TryAcquire(1000), 0);
  EXPECT_EQ(rl.TryAcquire(1000), 0);
  int64_t wait = rl.TryAcquire(1000);
  EXPECT_GT(wait, 0);
  EXPECT_LE(wait, 100);
  EXPECT_EQ(rl.TryAcquire(1000 + wait), 0);
  EXPECT_GT(rl.TryAcquire(1000 + wait), 0);
}

TEST(RateLimiter, PauseBlocksUntilReset) {
  RateLimiter rl(0, 1);  // unlimited rate, but a 429 still pauses
  EXPECT_EQ(rl.TryAcquire(10), 0);
  rl.PauseUntil(5000);
  EXPECT_EQ(rl.TryAcquire(1000), 4000);
  EXPECT_EQ(rl.TryAcquire(5000), 0);
}

TEST(CircuitBreaker, OpensAfterConsecutiveFailuresAndProbesOnce) {
  CircuitBreaker cb(3, 1000);
  EXPECT_TRUE(cb.Allow(0));
  cb.OnFailure(0);
  cb.OnFailure(0);
  cb.OnSuccess();  // resets the streak
  cb.OnFailure(0);
  cb.OnFailure(0);
  EXPECT_EQ(cb.state(0), CircuitState::kClosed);
  cb.OnFailure(100);
  EXPECT_EQ(cb.state(100), CircuitState::kOpen);
  EXPECT_FALSE(cb.Allow(500));
  EXPECT_EQ(cb.RetryAtMs(500), 1100);
  EXPECT_TRUE(cb.Allow(1100));   // the probe
  EXPECT_FALSE(cb.Allow(1101));  // only one probe at a time
  cb.OnFailure(1200);            // probe failed: open again
  EXPECT_EQ(cb.state(1300), CircuitState::kOpen);
  EXPECT_TRUE(cb.Allow(2200));
  cb.OnSuccess();
  EXPECT_EQ(cb.state(2201), CircuitState::kClosed);
  EXPECT_TRUE(cb.Allow(2201));
  EXPECT_TRUE(cb.Allow(2201));
}

TEST(OutboxHelpers, SubstituteCaptures) {
  auto r = SubstituteCaptures(R"({"id":"{{tag_id}}","x":"{{b}}"})", {{"tag_id", "42"}, {"b", "y"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), R"({"id":"42","x":"y"})");
  auto missing = SubstituteCaptures("/c/{{nope}}/tags", {{"tag_id", "42"}});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("nope"), std::string::npos);
  EXPECT_EQ(SubstituteCaptures("no vars", {}).value(), "no vars");
}

TEST(OutboxHelpers, ExcerptIsBoundedAndKeepsUtf8Whole) {
  std::string big(2000, 'a');
  EXPECT_LE(AnswerExcerpt(big).size(), 500u);
  EXPECT_EQ(AnswerExcerpt("short"), "short");
  std::string utf8;
  for (int i = 0; i < 300; ++i) utf8 += "\xC3\xA9";  // é
  std::string e = AnswerExcerpt(utf8, 100);
  EXPECT_LE(e.size(), 100u);
  std::string body = e.substr(0, e.size() - 3);
  EXPECT_EQ(body.size() % 2, 0u);  // no half character
}

TEST(OutboxOptionsParse, ReadsFieldsAndNamesBadOnes) {
  auto ok = ParseOutboxOptions(boost::json::parse(R"({"max_attempts":3,"rate_per_s":2.5,
      "instances":{"acme":{"dry_run":true,"concurrency":2}}})").as_object());
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->max_attempts, 3);
  EXPECT_DOUBLE_EQ(ok->defaults.rate_per_s, 2.5);
  EXPECT_TRUE(ok->For("acme").dry_run);
  EXPECT_EQ(ok->For("acme").concurrency, 2);
  EXPECT_DOUBLE_EQ(ok->For("acme").rate_per_s, 2.5);  // inherits the defaults
  EXPECT_FALSE(ok->For("other").dry_run);

  auto bad = ParseOutboxOptions(boost::json::parse(R"({"instances":{"acme":{"burst":0}}})").as_object());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("outbox.instances.acme.burst"), std::string::npos);
  auto unknown = ParseOutboxOptions(boost::json::parse(R"({"max_atempts":3})").as_object());
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("max_atempts"), std::string::npos);
  auto type = ParseOutboxOptions(boost::json::parse(R"({"dry_run":"yes"})").as_object());
  EXPECT_FALSE(type.ok());
}

}  // namespace
}  // namespace deskhook
