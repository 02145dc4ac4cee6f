// Store ingest benchmark: N threads call AppendEvent as fast as they can for a fixed time,
// once with group commit (max_batch 256) and once with one operation per transaction.
// Prints durably committed events/s, p50/p99 AppendEvent latency and the average batch size.
//
//   store_bench [--threads 32] [--seconds 5] [--body 1000] [--dir /tmp] [--sync full|normal]
//               [--mode both|group|single]
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "host/store.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  int threads = 32;
  double seconds = 5;
  size_t body = 1000;
  std::string dir = "/tmp";
  bool sync_full = true;
  std::string mode = "both";
};

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--threads") a.threads = std::atoi(v.c_str());
    else if (k == "--seconds") a.seconds = std::atof(v.c_str());
    else if (k == "--body") a.body = static_cast<size_t>(std::atol(v.c_str()));
    else if (k == "--dir") a.dir = v;
    else if (k == "--sync") a.sync_full = v != "normal";
    else if (k == "--mode") a.mode = v;
    else { std::fprintf(stderr, "unknown option %s\n", k.c_str()); std::exit(2); }
  }
  return a;
}

int64_t WallMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

void RunOnce(const Args& a, const char* label, int max_batch) {
  std::string dir = a.dir + "/deskhook-store-bench-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  deskhook::StoreOptions o;
  o.path = dir + "/bench.db";
  o.max_batch = max_batch;
  o.synchronous_full = a.sync_full;
  auto opened = deskhook::Store::Open(o);
  if (!opened.ok()) {
    std::fprintf(stderr, "open: %s\n", opened.status().ToString().c_str());
    std::exit(1);
  }
  auto store = std::move(opened).value();
  // A realistic body: JSON-ish text of the requested size.
  std::string body = "{\"ticket\":{\"id\":35436,\"description\":\"";
  while (body.size() + 4 < a.body) body += "lorem ipsum dolor sit amet ";
  body.resize(a.body > 4 ? a.body - 4 : 0);
  body += "\"}}";

  std::atomic<bool> stop{false};
  std::atomic<int64_t> errors{0};
  std::vector<std::vector<uint32_t>> lat(a.threads);
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int t = 0; t < a.threads; ++t) {
    threads.emplace_back([&, t] {
      lat[t].reserve(200000);
      deskhook::NewEvent e;
      e.instance = "zd";
      e.kind = "ticket_created";
      e.body = body;
      e.meta_json = "{\"topic\":\"bench\"}";
      for (int64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        e.ticket_id = std::to_string(i % 1000);
        e.dedupe_key = "t" + std::to_string(t) + "-" + std::to_string(i);
        e.received_ms = WallMs();
        auto t0 = Clock::now();
        auto r = store->AppendEvent(e);
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0);
        if (!r.ok()) errors++;
        lat[t].push_back(static_cast<uint32_t>(us.count()));
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(a.seconds));
  stop = true;
  for (auto& th : threads) th.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  deskhook::StoreStats stats = store->Stats();
  auto count = store->CountEvents();
  store.reset();
  std::filesystem::remove_all(dir);

  std::vector<uint32_t> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return all.empty() ? 0.0 : all[std::min(all.size() - 1, size_t(p * all.size()))] / 1000.0;
  };
  const int64_t stored = count.ok() ? *count : -1;
  std::printf(
      "%-7s threads=%d max_batch=%d sync=%s body=%zuB: %.0f events/s (%lld stored in %.2fs), "
      "append p50=%.2fms p99=%.2fms max=%.2fms, commits=%lld avg_batch=%.1f max_batch_seen=%lld "
      "errors=%lld\n",
      label, a.threads, max_batch, a.sync_full ? "FULL" : "NORMAL", a.body, stored / elapsed,
      static_cast<long long>(stored), elapsed, pct(0.50), pct(0.99), pct(1.0),
      static_cast<long long>(stats.commits),
      stats.commits ? double(stats.ops) / double(stats.commits) : 0.0,
      static_cast<long long>(stats.max_batch_seen), static_cast<long long>(errors.load()));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  Args a = Parse(argc, argv);
  if (a.mode == "both" || a.mode == "group") RunOnce(a, "group", 256);
  if (a.mode == "both" || a.mode == "single") RunOnce(a, "single", 1);
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("peak RSS %.1f MB (whole bench process, incl. %d client threads' latency arrays)\n",
              ru.ru_maxrss / 1024.0, a.threads);
  return 0;
}
