// Conversation trend over a customer's message compounds, oldest first.
//
// escalating: sentiment is falling across messages, so a script can act on "getting worse" and
// not only on "bad now". It needs at least two messages, a least-squares slope of at most
// -kFallingSlope per message, a latest message that is not positive, and the latest message below the
// mean of the earlier ones. A flat run of negative messages is bad, not escalating.
#include <algorithm>
#include <cmath>

#include "sentiment/sentiment.h"

namespace deskhook::sentiment {
namespace {
constexpr double kFallingSlope = 0.1;
constexpr double kNeutral = 0.05;
}  // namespace

ConversationTrend Trend(std::span<const double> compounds, double ewma_alpha) {
  ConversationTrend t;
  if (compounds.empty()) return t;
  const double alpha = std::clamp(std::isfinite(ewma_alpha) ? ewma_alpha : 0.5, 0.0, 1.0);
  const size_t n = compounds.size();
  t.messages = static_cast<int>(n);
  t.last = compounds.back();
  t.min = compounds.front();
  t.ewma = compounds.front();
  double sum = 0;
  for (size_t i = 0; i < n; ++i) {
    const double c = compounds[i];
    if (i > 0) t.ewma = alpha * c + (1 - alpha) * t.ewma;
    t.min = std::min(t.min, c);
    sum += c;
  }
  if (n < 2) return t;
  const double mean_x = (n - 1) / 2.0, mean_y = sum / n;
  double sxy = 0, sxx = 0;
  for (size_t i = 0; i < n; ++i) {
    sxy += (i - mean_x) * (compounds[i] - mean_y);
    sxx += (i - mean_x) * (i - mean_x);
  }
  t.slope = sxx > 0 ? sxy / sxx : 0;
  const double earlier_mean = (sum - t.last) / (n - 1);
  t.escalating = t.slope <= -kFallingSlope && t.last < kNeutral && t.last < earlier_mean;
  return t;
}

}  // namespace deskhook::sentiment
