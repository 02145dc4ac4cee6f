// Per-event cost of the example routing scripts with one Runtime (one lua_State) reused, and
// memory over many events. Target: median <= 20 us per event, no growth over 1,000,000 events.
//
//   bench_scripts [--events N] [--scripts DIR]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "scripts/runtime.h"

using namespace deskhook;
using Clock = std::chrono::steady_clock;

static long RssKb() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

int main(int argc, char** argv) {
  long events = 1'000'000;
  std::string dir = std::string(DESKHOOK_SOURCE_DIR) + "/examples/scripts";
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--events") == 0) events = std::atol(argv[i + 1]);
    if (std::strcmp(argv[i], "--scripts") == 0) dir = argv[i + 1];
  }
  scripts::RuntimeConfig config;
  for (const char* f : {"vip_requesters.lua", "route_by_topic.lua", "wants_human.lua", "escalate_frustration.lua",
                        "churn_risk.lua"}) {
    config.script_paths.push_back(dir + "/" + f);
  }
  config.escalate.group_id = "360099";
  auto kv = scripts::NewMemoryKvStore();
  auto rt = scripts::Runtime::Create(config, kv.get());
  if (!rt.ok()) {
    std::fprintf(stderr, "bench_scripts: %s\n", rt.status().ToString().c_str());
    return 1;
  }

  // A typical new ticket: a billing question from a VIP, somewhat annoyed, with some history.
  Ticket t;
  t.instance = "zendesk-eu";
  t.platform = "zendesk";
  t.id = "81234";
  t.subject = "Charged twice for my invoice";
  t.requester = {"9001", "Ana Smith", "ana@bigcorp.com"};
  t.tags = {"web", "billing", "plan_pro"};
  t.priority = "normal";
  t.status = "new";
  t.channel = "email";
  t.messages.push_back({"1", AuthorRole::kCustomer, "9001",
                        "Hello, I was charged twice for my last invoice and I need a refund. This is the second "
                        "time this happens and it is getting annoying. Please fix it quickly.",
                        1'700'000'000'000, true});
  scripts::EventContext e;
  e.kind = EventKind::kTicketCreated;
  e.ticket = &t;
  e.now_ms = 1'735'725'600'000;
  e.sentiment.compound = -0.45;
  e.sentiment.neg = 0.2;
  e.sentiment.neu = 0.8;
  e.sentiment.frustration = 0.35;
  e.sentiment.churn_risk = 0.1;
  e.sentiment.urgency = 0.3;
  e.sentiment.terms = {{"annoying", -1.2f, "valence"}, {"second time", 0.4f, "frustration"}};
  e.trend.messages = 1;
  e.trend.last = e.trend.ewma = e.trend.min = -0.45;

  scripts::RunResult first = (*rt)->Run(e);
  std::printf("scripts: %zu, first event: %zu tags, group %s, priority %s, fallback %s\n", first.records.size(),
              first.decisions.add_tags.size(), first.decisions.group_id.value_or("-").c_str(),
              first.decisions.priority.value_or("-").c_str(), first.fallback_applied ? "yes" : "no");
  for (const auto& r : first.records) std::printf("  %-26s %-10s %s\n", r.script.c_str(), r.outcome.c_str(), r.decisions_json.c_str());

  std::vector<uint32_t> ns(static_cast<size_t>(events));  // touched now: not counted as growth below
  for (int i = 0; i < 20000; ++i) (*rt)->Run(e);  // warm up: caches, GC steady state
  std::fflush(stdout);
  const size_t lua0 = (*rt)->LuaMemoryBytes();
  const long rss0 = RssKb();
  std::printf("after warm-up: lua %zu KiB, rss %ld KiB\n", lua0 / 1024, rss0);

  size_t lua_max = lua0;
  long failures = 0;
  long checkpoint = std::max<long>(1, events / 10);
  const auto start = Clock::now();
  for (long i = 1; i <= events; ++i) {
    const auto t0 = Clock::now();
    scripts::RunResult r = (*rt)->Run(e);
    const auto t1 = Clock::now();
    ns[static_cast<size_t>(i - 1)] =
        static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
    if (r.fallback_applied) {  // e.g. the 50 ms deadline when the machine deschedules us
      if (++failures <= 5) {
        for (const auto& rec : r.records) {
          if (rec.outcome != "ok" && rec.outcome != "no_handler")
            std::printf("  event %ld: %s %s: %s\n", i, rec.script.c_str(), rec.outcome.c_str(), rec.reason.c_str());
        }
      }
    }
    lua_max = std::max(lua_max, (*rt)->LuaMemoryBytes());
    if (i % checkpoint == 0)
    {
      std::printf("  %8ld events: lua %zu KiB, rss %ld KiB\n", i, (*rt)->LuaMemoryBytes() / 1024, RssKb());
      std::fflush(stdout);
    }
  }
  const double total_s = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(ns.begin(), ns.end());
  auto pct = [&](double p) { return ns[static_cast<size_t>(p * static_cast<double>(ns.size() - 1))] / 1000.0; };
  double sum = 0;
  for (auto x : ns) sum += x;
  std::printf("events: %ld in %.2f s (%.0f events/s, one thread)\n", events, total_s, events / total_s);
  std::printf("per event (us): median %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.1f  mean %.2f\n", pct(0.5),
              pct(0.9), pct(0.99), pct(0.999), ns.back() / 1000.0, sum / ns.size() / 1000.0);
  const size_t lua1 = (*rt)->LuaMemoryBytes();
  const long rss1 = RssKb();
  std::printf("memory: lua %zu -> %zu KiB (peak %zu KiB), rss %ld -> %ld KiB\n", lua0 / 1024, lua1 / 1024,
              lua_max / 1024, rss0, rss1);
  std::printf("events with a failed script: %ld\n", failures);
  std::printf("target: median <= 20 us: %s\n", pct(0.5) <= 20.0 ? "met" : "MISSED");
  return 0;
}
