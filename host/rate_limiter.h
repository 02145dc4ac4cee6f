// Per-instance token bucket: `rate_per_s` sustained, up to `burst` at once; a 429 pauses the
// whole instance until the helpdesk's reset time. Non-blocking: callers sleep themselves.
// Thread-safe. Times are caller-supplied milliseconds (any monotonic base).
#pragma once

#include <cstdint>
#include <mutex>

namespace deskhook {

class RateLimiter {
 public:
  // rate_per_s <= 0 means unlimited. REQUIRES: burst >= 1 when limited.
  RateLimiter(double rate_per_s, int burst);

  // Takes one token and returns 0, or returns how many ms to wait before asking again
  // (nothing is taken then).
  int64_t TryAcquire(int64_t now_ms);

  // No tokens until `until_ms` (the helpdesk said 429); the bucket restarts empty then.
  void PauseUntil(int64_t until_ms);
  int64_t paused_until_ms() const;

 private:
  const double rate_per_ms_;
  const double burst_;
  mutable std::mutex mu_;
  double tokens_;
  int64_t last_ms_ = -1;
  int64_t paused_until_ms_ = 0;
};

}  // namespace deskhook
