// Wall-clock milliseconds since the Unix epoch: the time deskhook stores and shows
// (received_ms, processed_ms, since_ms, next_attempt_ms). Not for measuring durations.
#pragma once

#include <chrono>
#include <cstdint>

namespace deskhook {

inline int64_t WallMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace deskhook
