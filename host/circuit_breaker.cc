#include "host/circuit_breaker.h"

#include <algorithm>

namespace deskhook {

std::string_view CircuitStateName(CircuitState s) {
  switch (s) {
    case CircuitState::kClosed: return "closed";
    case CircuitState::kOpen: return "open";
    case CircuitState::kHalfOpen: return "half_open";
  }
  return "unknown";
}

CircuitBreaker::CircuitBreaker(int failure_threshold, int64_t open_ms)
    : threshold_(std::max(1, failure_threshold)), open_ms_(std::max<int64_t>(0, open_ms)) {}

bool CircuitBreaker::Allow(int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  switch (state_) {
    case CircuitState::kClosed:
      return true;
    case CircuitState::kOpen:
      if (now_ms < open_until_ms_) return false;
      state_ = CircuitState::kHalfOpen;
      probe_in_flight_ = true;
      return true;
    case CircuitState::kHalfOpen:
      if (probe_in_flight_) return false;
      probe_in_flight_ = true;
      return true;
  }
  return false;
}

int64_t CircuitBreaker::RetryAtMs(int64_t now_ms) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (state_ == CircuitState::kOpen) return std::max(now_ms, open_until_ms_);
  if (state_ == CircuitState::kHalfOpen && probe_in_flight_) return now_ms + 50;
  return now_ms;
}

void CircuitBreaker::OnSuccess() {
  std::lock_guard<std::mutex> lock(mu_);
  state_ = CircuitState::kClosed;
  failures_ = 0;
  probe_in_flight_ = false;
}

void CircuitBreaker::OnFailure(int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  ++failures_;
  probe_in_flight_ = false;
  if (state_ == CircuitState::kHalfOpen || failures_ >= threshold_) {
    state_ = CircuitState::kOpen;
    open_until_ms_ = now_ms + open_ms_;
  }
}

void CircuitBreaker::OnNeutral() {
  std::lock_guard<std::mutex> lock(mu_);
  probe_in_flight_ = false;
}

CircuitState CircuitBreaker::state(int64_t now_ms) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (state_ == CircuitState::kOpen && now_ms >= open_until_ms_) return CircuitState::kHalfOpen;
  return state_;
}

int CircuitBreaker::consecutive_failures() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failures_;
}

}  // namespace deskhook
