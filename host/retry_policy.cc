#include "host/retry_policy.h"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <string>

namespace deskhook {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<int64_t> ParseInt(std::string_view s) {
  s = Trim(s);
  if (s.empty()) return std::nullopt;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

}  // namespace

int64_t BackoffCapMs(const BackoffPolicy& policy, int attempt) {
  int shift = std::clamp(attempt - 1, 0, 40);
  int64_t base = std::max<int64_t>(policy.base_ms, 1);
  // Saturate before overflow.
  if (base > (policy.max_ms >> shift)) return policy.max_ms;
  return std::min(policy.max_ms, base << shift);
}

int64_t BackoffDelayMs(const BackoffPolicy& policy, int attempt, std::mt19937_64& rng) {
  std::uniform_int_distribution<int64_t> dist(0, BackoffCapMs(policy, attempt));
  return dist(rng);
}

std::optional<int64_t> ParseRetryAfterMs(std::string_view value, int64_t now_ms) {
  value = Trim(value);
  if (value.empty()) return std::nullopt;
  if (auto secs = ParseInt(value)) {
    if (*secs > 10LL * 365 * 86400) return std::nullopt;
    return *secs * 1000;
  }
  std::tm tm{};
  std::string text(value);
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  int64_t at_ms = static_cast<int64_t>(timegm(&tm)) * 1000;
  return std::max<int64_t>(0, at_ms - now_ms);
}

std::optional<int64_t> ParseRateLimitResetMs(std::string_view value, int64_t now_ms) {
  auto v = ParseInt(value);
  if (!v) return std::nullopt;
  if (*v < 1000000000LL) return *v * 1000;  // a delta in seconds
  return std::max<int64_t>(0, *v * 1000 - now_ms);
}

}  // namespace deskhook
