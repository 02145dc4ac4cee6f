// The time limit of one script invocation, counted in CPU time of the thread that runs it.
// A script that is merely waiting for a core on a busy host uses none of its budget; one that
// computes (a loop, a slow library call between instructions) does. CPU time never runs ahead
// of the wall clock, so the (slower) CPU clock is read only once the wall-clock deadline has
// passed; if budget is left, the wall-clock check moves by what is left.
// Reading the CPU clock is a system call (~0.5 us here), so Start() reuses a reading up to 1 ms
// old taken on the same thread: the script is then charged at most 1 ms it did not use.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <thread>

namespace deskhook::scripts {

class CpuDeadline {
 public:
  using WallNs = int64_t (*)();
  using CpuNs = int64_t (*)();

  static int64_t SteadyNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  static int64_t ThreadCpuNs() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
  }

  // The clocks are injectable for tests. REQUIRES: used by one thread (the one that runs the
  // script) between Start() and the last Passed().
  explicit CpuDeadline(WallNs wall = SteadyNs, CpuNs cpu = ThreadCpuNs) : wall_(wall), cpu_(cpu) {}

  void Start(int64_t budget_ms) {
    budget_ns_ = budget_ms * 1'000'000;
    const int64_t now = wall_();
    const std::thread::id self = std::this_thread::get_id();
    if (reading_thread_ != self || now - reading_wall_ns_ > kReuseNs) {
      reading_cpu_ns_ = cpu_();
      reading_wall_ns_ = now;
      reading_thread_ = self;
    }
    cpu_start_ns_ = reading_cpu_ns_;
    check_at_ns_ = now + budget_ns_;
  }

  // True once the script has used its whole CPU budget.
  bool Passed() {
    const int64_t now = wall_();
    if (now < check_at_ns_) return false;
    const int64_t left = budget_ns_ - (cpu_() - cpu_start_ns_);
    if (left <= 0) return true;
    check_at_ns_ = now + left;
    return false;
  }

 private:
  static constexpr int64_t kReuseNs = 1'000'000;

  WallNs wall_;
  CpuNs cpu_;
  int64_t budget_ns_ = 0;
  int64_t cpu_start_ns_ = 0;
  int64_t check_at_ns_ = 0;
  // The last CPU-clock reading, its wall time and thread.
  int64_t reading_cpu_ns_ = 0;
  int64_t reading_wall_ns_ = 0;
  std::thread::id reading_thread_;
};

}  // namespace deskhook::scripts
