// Per-instance circuit breaker: after `failure_threshold` consecutive failures (5xx, timeouts,
// connection errors) the circuit opens and nothing is sent for `open_ms`; then one probe call is
// let through (half-open): success closes the circuit, failure opens it again.
// Thread-safe. Times are caller-supplied milliseconds (any monotonic base).
#pragma once

#include <cstdint>
#include <mutex>
#include <string_view>

namespace deskhook {

enum class CircuitState { kClosed, kOpen, kHalfOpen };
std::string_view CircuitStateName(CircuitState s);  // "closed", "open", "half_open"

class CircuitBreaker {
 public:
  // REQUIRES: failure_threshold >= 1, open_ms >= 0.
  CircuitBreaker(int failure_threshold, int64_t open_ms);

  // True when a call may be sent now. In the half-open state only one caller gets true until
  // that probe reports OnSuccess/OnFailure.
  bool Allow(int64_t now_ms);
  // When a refused caller may ask again (now_ms when it may already).
  int64_t RetryAtMs(int64_t now_ms) const;

  void OnSuccess();
  void OnFailure(int64_t now_ms);
  // The call that Allow() let through ended without a verdict on the helpdesk's health
  // (4xx, 429, dry-run): frees the half-open probe slot.
  void OnNeutral();

  CircuitState state(int64_t now_ms) const;
  int consecutive_failures() const;

 private:
  const int threshold_;
  const int64_t open_ms_;
  mutable std::mutex mu_;
  CircuitState state_ = CircuitState::kClosed;
  int failures_ = 0;
  int64_t open_until_ms_ = 0;
  bool probe_in_flight_ = false;
};

}  // namespace deskhook
