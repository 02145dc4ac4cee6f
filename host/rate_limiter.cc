#include "host/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace deskhook {

RateLimiter::RateLimiter(double rate_per_s, int burst)
    : rate_per_ms_(rate_per_s > 0 ? rate_per_s / 1000.0 : 0),
      burst_(std::max(1, burst)),
      tokens_(std::max(1, burst)) {}

int64_t RateLimiter::TryAcquire(int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  if (now_ms < paused_until_ms_) return paused_until_ms_ - now_ms;
  if (rate_per_ms_ <= 0) return 0;
  if (last_ms_ >= 0 && now_ms > last_ms_) {
    tokens_ = std::min(burst_, tokens_ + (now_ms - last_ms_) * rate_per_ms_);
  }
  last_ms_ = std::max(last_ms_, now_ms);
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return 0;
  }
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil((1.0 - tokens_) / rate_per_ms_)));
}

void RateLimiter::PauseUntil(int64_t until_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  if (until_ms <= paused_until_ms_) return;
  paused_until_ms_ = until_ms;
  tokens_ = std::min(tokens_, 1.0);  // after the pause, go gently: one call, then the rate
  last_ms_ = until_ms;
}

int64_t RateLimiter::paused_until_ms() const {
  std::lock_guard<std::mutex> lock(mu_);
  return paused_until_ms_;
}

}  // namespace deskhook
