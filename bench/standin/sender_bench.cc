// bench_sender: HttpSender alone against the in-process stand-in helpdesk. `--threads` callers
// each send their share of `--calls` Zendesk-style tag updates (PUT, JSON body, auth header)
// over the sender's keep-alive pool; reports calls/s and the CPU the calling threads used per
// call (getrusage RUSAGE_THREAD, user and system; the stand-in's threads not included). With
// one caller the figure swings with where the scheduler puts the caller and the stand-in's loop
// (a cross-vCPU wake-up per call is dear on a VM); compare several alternating runs.
//   bench_sender [--calls 20000] [--threads 1,8]
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/standin/standin.h"
#include "host/http_sender.h"

namespace {

using namespace deskhook;

const char* Arg(int argc, char** argv, const char* name, const char* def) {
  for (int i = 1; i + 1 < argc; ++i) if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  return def;
}

struct Cpu {
  int64_t user_us = 0, sys_us = 0;
};

Cpu ThreadCpu() {
  rusage ru{};
  getrusage(RUSAGE_THREAD, &ru);
  return {ru.ru_utime.tv_sec * 1000000LL + ru.ru_utime.tv_usec,
          ru.ru_stime.tv_sec * 1000000LL + ru.ru_stime.tv_usec};
}

}  // namespace

int main(int argc, char** argv) {
  const int calls = std::atoi(Arg(argc, argv, "--calls", "20000"));
  std::vector<int> thread_counts;
  std::stringstream ts(Arg(argc, argv, "--threads", "1,8"));
  for (std::string x; std::getline(ts, x, ',');) thread_counts.push_back(std::max(1, std::atoi(x.c_str())));

  standin::Standin helpdesk;
  const int port = helpdesk.Start(0, "", 4);
  if (port < 0) return 1;
  std::printf("bench_sender: %d calls per run, stand-in on 127.0.0.1:%d\n", calls, port);
  for (int threads : thread_counts) {
    helpdesk.Reset();
    HttpSenderOptions o;
    o.base_url = "http://127.0.0.1:" + std::to_string(port);
    o.max_idle_connections = threads;
    auto sender = HttpSender::Create(o);
    if (!sender.ok()) return 1;
    std::atomic<int64_t> user_us{0}, sys_us{0};
    std::atomic<int> failed{0};
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        const Cpu cpu0 = ThreadCpu();
        const std::vector<std::pair<std::string, std::string>> headers = {
            {"Authorization", "Bearer bench"}, {"Accept", "application/json"}};
        for (int i = t; i < calls; i += threads) {
          const std::string ticket = std::to_string(1 + i % 500);
          HttpAnswer a = (*sender)->Send(
              "PUT", "/api/v2/tickets/" + ticket, headers,
              R"({"ticket":{"additional_tags":["b)" + std::to_string(i) + R"("]}})");
          if (a.status != 200) failed++;
        }
        const Cpu cpu1 = ThreadCpu();
        user_us += cpu1.user_us - cpu0.user_us;
        sys_us += cpu1.sys_us - cpu0.sys_us;
      });
    }
    for (auto& w : workers) w.join();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("  threads %-3d  %d calls in %.0f ms = %.0f calls/s, callers' CPU %.1f us per call"
                " (user %.1f, sys %.1f)  (failed %d, stand-in saw %zu)\n",
                threads, calls, s * 1000, calls / s,
                static_cast<double>(user_us + sys_us) / calls, static_cast<double>(user_us) / calls,
                static_cast<double>(sys_us) / calls, failed.load(), helpdesk.CallCount());
  }
  return 0;
}
