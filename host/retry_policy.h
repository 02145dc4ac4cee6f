// When to try an outbox call again: exponential backoff with full jitter for failures, and the
// platforms' own rate-limit headers for 429 answers. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string_view>

namespace deskhook {

struct BackoffPolicy {
  int64_t base_ms = 500;
  int64_t max_ms = 300000;
};

// Full jitter (AWS architecture blog): uniform in [0, min(max, base * 2^(attempt-1))].
// REQUIRES: attempt >= 1 (the number of the attempt that just failed).
int64_t BackoffDelayMs(const BackoffPolicy& policy, int attempt, std::mt19937_64& rng);

// The upper bound BackoffDelayMs can return for `attempt` (for tests and docs).
int64_t BackoffCapMs(const BackoffPolicy& policy, int attempt);

// `Retry-After` as delta-seconds ("120") or an HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT"),
// converted to a wait in ms from `now_ms`. nullopt when absent or malformed; 0 for a past date.
std::optional<int64_t> ParseRetryAfterMs(std::string_view value, int64_t now_ms);

// `X-RateLimit-Reset` (Intercom: Unix seconds when the window resets) as a wait in ms from
// `now_ms`. Values that look like a delta (smaller than 10^9, as Zendesk's `ratelimit-reset`)
// are read as seconds from now. nullopt when absent or malformed; 0 for a past time.
std::optional<int64_t> ParseRateLimitResetMs(std::string_view value, int64_t now_ms);

}  // namespace deskhook
