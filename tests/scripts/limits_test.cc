// Per-invocation limits: each runaway is stopped with a logged reason, pcall cannot swallow it,
// the event still gets the fallback, and the next event on the same Runtime runs normally.
#include <gtest/gtest.h>

#include <chrono>

#include "scripts/cpu_deadline.h"
#include "script_test_util.h"

namespace deskhook::scripts {
namespace {

using testing::Event;
using testing::HasTag;
using testing::TempDir;
using testing::TypicalTicket;

struct Runaway {
  const char* name;
  const char* code;
  const char* expect_reason;
};

class Limit : public ::testing::TestWithParam<Runaway> {};

TEST_P(Limit, StopsTheScriptThenNextEventRunsNormally) {
  const Runaway& w = GetParam();
  TempDir dir;
  RuntimeConfig config;
  config.limits.instructions = 2'000'000;
  config.limits.deadline_ms = 2000;
  config.limits.memory_bytes = 8u << 20;
  config.script_paths = {
      dir.Write("first.lua", "function on_ticket_created(t, ctx) tag('first-ran') end\n"),
      dir.Write("runaway.lua", std::string("function on_ticket_created(t, ctx)\n"
                                           "  if t.subject == 'attack' then\n    tag('half-effect')\n    ") +
                                   w.code + "\n    tag('after-limit')\n  else\n    tag('fine')\n  end\nend\n"),
      dir.Write("last.lua", "function on_ticket_created(t, ctx) tag('last-ran') end\n")};
  config.fallback.add_tags = {"needs-triage"};
  auto rt = Runtime::Create(config, nullptr);
  ASSERT_TRUE(rt.ok()) << rt.status().ToString();
  const size_t baseline = (*rt)->LuaMemoryBytes();

  Ticket attack = TypicalTicket("attack");
  RunResult r = (*rt)->Run(Event(attack));
  ASSERT_EQ(r.records.size(), 3u);
  const ScriptRecord& rec = r.records[1];
  EXPECT_EQ(rec.outcome, "limit") << w.name << ": " << rec.reason;
  EXPECT_NE(rec.reason.find(w.expect_reason), std::string::npos) << w.name << ": " << rec.reason;
  EXPECT_NE(rec.reason.find("runaway.lua:"), std::string::npos) << w.name << ": " << rec.reason;
  EXPECT_FALSE(HasTag(r.decisions, "half-effect"));  // a failing script leaves no half effect
  EXPECT_FALSE(HasTag(r.decisions, "after-limit"));
  EXPECT_TRUE(HasTag(r.decisions, "first-ran"));
  EXPECT_TRUE(HasTag(r.decisions, "last-ran"));     // later scripts still run
  EXPECT_TRUE(r.fallback_applied);
  EXPECT_TRUE(HasTag(r.decisions, "needs-triage"));

  for (int i = 0; i < 3; ++i) {
    Ticket normal = TypicalTicket("normal");
    RunResult next = (*rt)->Run(Event(normal));
    for (const auto& x : next.records) EXPECT_EQ(x.outcome, "ok") << w.name << ": " << x.script << ": " << x.reason;
    EXPECT_TRUE(HasTag(next.decisions, "fine"));
    EXPECT_FALSE(next.fallback_applied);
  }
  EXPECT_LT((*rt)->LuaMemoryBytes(), baseline + (1u << 20)) << w.name;
}

INSTANTIATE_TEST_SUITE_P(
    Runaways, Limit,
    ::testing::Values(
        Runaway{"infinite_loop", "while true do end", "instruction budget"},
        Runaway{"pcall_swallow", "pcall(function() while true do end end)", "instruction budget"},
        Runaway{"pcall_in_loop", "while true do pcall(function() while true do end end) end", "instruction budget"},
        Runaway{"xpcall_swallow", "xpcall(function() while true do end end, function(e) return e end)",
                "instruction budget"},
        Runaway{"string_rep_bomb", "local s = string.rep('x', 1e9)", "memory cap"},
        Runaway{"string_rep_in_pcall", "pcall(string.rep, 'x', 1e9)\n local y = {}", "memory cap"},
        Runaway{"concat_doubling", "local s = 'x'; while true do s = s .. s end", "memory cap"},
        Runaway{"table_growth", "local t = {}; local i = 0; while true do i = i + 1; t[i] = {i, i} end",
                "memory cap"},
        Runaway{"deep_recursion", "local function f(n) return 1 + f(n + 1) end; f(1)", "call depth"},
        Runaway{"recursion_in_pcall", "local function f(n) return 1 + f(n + 1) end; pcall(f, 1)", "call depth"},
        Runaway{"tail_call_loop", "local function f() return f() end; f()", "instruction budget"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Limits, DeadlineStopsASlowScript) {
  TempDir dir;
  RuntimeConfig config;
  config.limits.instructions = int64_t(1) << 40;
  config.limits.deadline_ms = 30;
  config.script_paths = {dir.Write("slow.lua",
                                   "function on_ticket_created(t, ctx)\n"
                                   "  if t.subject == 'slow' then while true do end end\n"
                                   "  tag('fine')\n"
                                   "end\n")};
  auto rt = Runtime::Create(config, nullptr);
  ASSERT_TRUE(rt.ok());
  Ticket slow = TypicalTicket("slow");
  RunResult r = (*rt)->Run(Event(slow));
  EXPECT_EQ(r.records[0].outcome, "limit");
  EXPECT_NE(r.records[0].reason.find("deadline of 30 ms exceeded at slow.lua:2"), std::string::npos) << r.records[0].reason;
  EXPECT_GE(r.records[0].micros, 30000);
  EXPECT_LT(r.records[0].micros, 1000000);
  Ticket normal = TypicalTicket("normal");
  EXPECT_TRUE(HasTag((*rt)->Run(Event(normal)).decisions, "fine"));
}

TEST(Limits, MemoryLimitRebuildsTheState) {
  TempDir dir;
  RuntimeConfig config;
  config.limits.memory_bytes = 4u << 20;
  config.script_paths = {dir.Write("bomb.lua",
                                   "function on_ticket_created(t, ctx)\n"
                                   "  if t.subject == 'bomb' then local s = string.rep('x', 64 * 1024 * 1024) end\n"
                                   "  tag('fine')\n"
                                   "end\n")};
  auto rt = Runtime::Create(config, nullptr);
  ASSERT_TRUE(rt.ok());
  Ticket bomb = TypicalTicket("bomb");
  RunResult r = (*rt)->Run(Event(bomb));
  EXPECT_EQ(r.records[0].outcome, "limit");
  EXPECT_NE(r.records[0].reason.find("memory cap of 4194304 bytes exceeded"), std::string::npos) << r.records[0].reason;
  EXPECT_NE(r.records[0].reason.find("bomb.lua:2"), std::string::npos) << r.records[0].reason;
  EXPECT_NE(r.records[0].reason.find("Lua state rebuilt"), std::string::npos) << r.records[0].reason;
  EXPECT_LT((*rt)->LuaMemoryBytes(), 1u << 20);
  Ticket normal = TypicalTicket("normal");
  EXPECT_TRUE(HasTag((*rt)->Run(Event(normal)).decisions, "fine"));
}

TEST(Limits, InstructionCountIsRecorded) {
  TempDir dir;
  RuntimeConfig config;
  config.script_paths = {dir.Write("loop.lua",
                                   "function on_ticket_created(t, ctx)\n"
                                   "  local n = 0\n  for i = 1, 10000 do n = n + i end\n  tag('sum' .. n)\n"
                                   "end\n")};
  auto rt = Runtime::Create(config, nullptr);
  ASSERT_TRUE(rt.ok());
  Ticket t = TypicalTicket();
  RunResult r = (*rt)->Run(Event(t));
  EXPECT_TRUE(HasTag(r.decisions, "sum50005000"));
  EXPECT_GE(r.records[0].instructions, 10000);
  EXPECT_LT(r.records[0].instructions, 100000);
}

TEST(Limits, TopLevelInfiniteLoopIsRefusedAtLoad) {
  TempDir dir;
  RuntimeConfig config;
  config.limits.instructions = 100000;
  config.script_paths = {dir.Write("top.lua", "while true do end\n")};
  auto rt = Runtime::Create(config, nullptr);
  ASSERT_FALSE(rt.ok());
  EXPECT_NE(rt.status().message().find("instruction budget"), std::string::npos) << rt.status().message();
}

}  // namespace
}  // namespace deskhook::scripts

// ---- The deadline counts CPU time, not time spent waiting for a core ----

namespace cpu_deadline_clocks {
int64_t wall = 0, cpu = 0;
int64_t Wall() { return wall; }
int64_t Cpu() { return cpu; }
}  // namespace cpu_deadline_clocks

TEST(CpuDeadline, WaitingForACoreDoesNotUseTheBudget) {
  using namespace cpu_deadline_clocks;
  wall = 1'000'000'000;
  cpu = 5'000'000;
  deskhook::scripts::CpuDeadline d(Wall, Cpu);
  d.Start(50);
  wall += 200'000'000;  // 200 ms later on the wall clock ...
  cpu += 10'000'000;    // ... of which the script ran 10 ms
  EXPECT_FALSE(d.Passed());
  cpu += 39'000'000;  // 49 ms of CPU in all
  wall += 39'000'000;
  EXPECT_FALSE(d.Passed());
  cpu += 2'000'000;  // 51 ms
  wall += 2'000'000;
  EXPECT_TRUE(d.Passed());
}

TEST(CpuDeadline, CpuClockIsNotReadBeforeTheWallClockDeadline) {
  using namespace cpu_deadline_clocks;
  wall = 0;
  cpu = 0;
  deskhook::scripts::CpuDeadline d(Wall, Cpu);
  d.Start(50);
  cpu = 999'000'000;  // would be over budget, but the wall clock says 50 ms have not passed
  wall = 49'000'000;
  EXPECT_FALSE(d.Passed());
  wall = 50'000'000;
  EXPECT_TRUE(d.Passed());
}

TEST(CpuDeadline, RealThreadClockStopsABusyLoop) {
  // `start` is read before Start() so that the wall time measured here covers all the CPU time
  // the deadline counts. The thread CPU clock and the monotonic clock come from different
  // kernel sources on a VM and can disagree by microseconds (CI once saw 19.990 ms of wall
  // time for 20 ms of CPU): the 0.5 ms slack allows that, not an early stop.
  const auto start = std::chrono::steady_clock::now();
  deskhook::scripts::CpuDeadline d;
  d.Start(20);
  volatile uint64_t x = 0;
  while (!d.Passed()) {
    for (int i = 0; i < 1000; ++i) x = x + static_cast<uint64_t>(i);
    ASSERT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20)) << "never passed";
  }
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::microseconds(19'500));
}

TEST(CpuDeadline, AReadingUpTo1msOldIsReusedAndChargedAtMost1ms) {
  using namespace cpu_deadline_clocks;
  wall = 0;
  cpu = 0;
  deskhook::scripts::CpuDeadline d(Wall, Cpu);
  d.Start(50);  // reads cpu = 0 at wall 0
  wall = 900'000;
  cpu = 900'000;  // the thread ran the 0.9 ms in between (another script)
  d.Start(50);    // reuses the reading: charged 0.9 ms it did not use
  wall += 50'000'000;
  cpu += 49'000'000;  // this script used 49 ms, charged 49.9 ms: still within 50
  EXPECT_FALSE(d.Passed());
  cpu += 200'000;  // 49.2 ms used, 50.1 charged
  wall += 200'000;
  EXPECT_TRUE(d.Passed());
  wall += 2'000'000;  // more than 1 ms after the reading: the next Start reads again
  d.Start(50);
  wall += 50'000'000;
  cpu += 49'900'000;
  EXPECT_FALSE(d.Passed());
}
