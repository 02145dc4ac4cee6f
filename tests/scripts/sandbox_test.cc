// The sandbox is an allow-list: every escape below must fail for that event only, and the next
// event on the same Runtime (same lua_State) must run normally.
#include <gtest/gtest.h>

#include "script_test_util.h"

namespace deskhook::scripts {
namespace {

using testing::Event;
using testing::HasTag;
using testing::TempDir;
using testing::TypicalTicket;

// Runs `attack` for a ticket with subject "attack", a normal tag otherwise.
struct Escape {
  const char* name;
  const char* attack;
  const char* expect_reason;  // substring of the error
};

class SandboxEscape : public ::testing::TestWithParam<Escape> {};

TEST_P(SandboxEscape, FailsThenNextEventRunsNormally) {
  const Escape& e = GetParam();
  TempDir dir;
  RuntimeConfig config;
  config.script_paths = {dir.Write("rule.lua", std::string("function on_ticket_created(t, ctx)\n"
                                                            "  if t.subject == 'attack' then\n    ") +
                                                    e.attack + "\n    tag('escaped')\n  else\n    tag('fine')\n  end\nend\n")};
  config.fallback.add_tags = {"needs-triage"};
  auto rt = Runtime::Create(config, nullptr);
  ASSERT_TRUE(rt.ok()) << rt.status().ToString();

  Ticket attack = TypicalTicket("attack");
  RunResult r = (*rt)->Run(Event(attack));
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].outcome, "error") << e.name << ": " << r.records[0].reason;
  EXPECT_NE(r.records[0].reason.find(e.expect_reason), std::string::npos) << e.name << ": " << r.records[0].reason;
  EXPECT_NE(r.records[0].reason.find("rule.lua:"), std::string::npos) << r.records[0].reason;
  EXPECT_FALSE(HasTag(r.decisions, "escaped"));
  EXPECT_TRUE(r.fallback_applied);
  EXPECT_TRUE(HasTag(r.decisions, "needs-triage"));

  Ticket normal = TypicalTicket("normal");
  RunResult next = (*rt)->Run(Event(normal));
  EXPECT_EQ(next.records[0].outcome, "ok") << next.records[0].reason;
  EXPECT_TRUE(HasTag(next.decisions, "fine"));
  EXPECT_FALSE(next.fallback_applied);
}

INSTANTIATE_TEST_SUITE_P(
    AllowList, SandboxEscape,
    ::testing::Values(
        Escape{"io", "io.open('/etc/passwd')", "global 'io'"},
        Escape{"os", "os.execute('true')", "global 'os'"},
        Escape{"os_exit", "os.exit(1)", "global 'os'"},
        Escape{"debug", "debug.sethook()", "global 'debug'"},
        Escape{"package", "package.loadlib('libc.so.6', 'system')", "global 'package'"},
        Escape{"load", "load('return 1')()", "global 'load'"},
        Escape{"loadstring", "loadstring('return 1')()", "global 'loadstring'"},
        Escape{"dofile", "dofile('/etc/passwd')", "global 'dofile'"},
        Escape{"loadfile", "loadfile('/etc/passwd')", "global 'loadfile'"},
        Escape{"collectgarbage", "collectgarbage('stop')", "global 'collectgarbage'"},
        Escape{"rawset", "rawset(_G, 'x', 1)", "global 'rawset'"},
        Escape{"coroutine", "coroutine.wrap(function() end)()", "global 'coroutine'"},
        Escape{"string_dump", "string.dump(function() end)", "field 'dump'"},
        Escape{"method_dump", "local f = ('').dump; f(function() end)", "local 'f'"},
        Escape{"string_metatable", "getmetatable('').__index.upper = nil", "index a boolean"},
        Escape{"set_string_lib", "string.upper = function() return 'x' end", "read-only"},
        Escape{"set_math_lib", "math.pi = 3", "read-only"},
        Escape{"set_ticket", "t.subject = 'changed'", "read-only"},
        Escape{"set_nested", "t.sentiment.compound = 1", "read-only"},
        Escape{"insert_tags", "table.insert(t.tags, 'x')", "read-only"},
        Escape{"metatable_of_t", "setmetatable(t, nil)", "protected metatable"},
        Escape{"pairs_backing", "local f, s = pairs(t.requester); s.email = 'x'", "read-only"},
        Escape{"gc_finalizer", "setmetatable({}, {__gc = function() end})", "__gc"},
        Escape{"require_traversal", "require('../../etc/passwd')", "not a module name"},
        Escape{"require_absolute", "require('/etc/passwd')", "not a module name"},
        Escape{"require_missing", "require('nope')", "not found"},
        Escape{"runtime_error", "local x = nil; x.y = 1", "attempt to index"},
        Escape{"note_too_long", "note(string.rep('x', 9000))", "cap"},
        Escape{"too_many_tags", "for i = 1, 60 do tag('t' .. i) end", "more than 50 tags"},
        Escape{"bad_priority", "priority('asap')", "not low, normal, high or urgent"},
        Escape{"bad_tag", "tag('two words')", "space"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Sandbox, RefusesBytecode) {
  TempDir dir;
  RuntimeConfig config;
  config.script_paths = {dir.Write("bin.lua", std::string("\x1bLua\x54\x00 whatever", 14))};
  auto rt = Runtime::Create(config, nullptr);
  ASSERT_FALSE(rt.ok());
  EXPECT_NE(rt.status().message().find("binary chunk"), std::string::npos) << rt.status().message();
}

TEST(Sandbox, CompileErrorNamesFileAndLine) {
  TempDir dir;
  RuntimeConfig config;
  const std::string path = dir.Write("broken.lua", "function on_ticket_created(t, ctx)\n  tag('a'\nend\n");
  config.script_paths = {path};
  auto rt = Runtime::Create(config, nullptr);
  ASSERT_FALSE(rt.ok());
  EXPECT_EQ(rt.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(rt.status().message().rfind(path + ":3:", 0), 0u) << rt.status().message();
}

TEST(Sandbox, UnknownHandlerNameIsRefusedWithLine) {
  TempDir dir;
  RuntimeConfig config;
  const std::string path = dir.Write("typo.lua", "\n\nfunction on_ticket_create(t, ctx) end\n");
  config.script_paths = {path};
  auto rt = Runtime::Create(config, nullptr);
  ASSERT_FALSE(rt.ok());
  EXPECT_NE(rt.status().message().find(path + ":3: on_ticket_create is not a handler"), std::string::npos)
      << rt.status().message();
}

TEST(Sandbox, TopLevelDecisionsAreRefusedAtLoad) {
  TempDir dir;
  RuntimeConfig config;
  config.script_paths = {dir.Write("top.lua", "tag('x')\n")};
  auto rt = Runtime::Create(config, nullptr);
  ASSERT_FALSE(rt.ok());
  EXPECT_NE(rt.status().message().find("only be called inside a handler"), std::string::npos) << rt.status().message();
}

TEST(Sandbox, GlobalsDoNotLeakBetweenEventsOrScripts) {
  TempDir dir;
  RuntimeConfig config;
  config.script_paths = {
      dir.Write("a.lua",
                "local calls = 0\n"
                "function on_ticket_created(t, ctx)\n"
                "  calls = calls + 1\n"
                "  counter = (counter or 0) + 1\n"
                "  tag('calls' .. calls, 'counter' .. counter)\n"
                "  if previous_id then tag('leaked') end\n"
                "  previous_id = t.id\n"
                "  shared_from_a = true\n"
                "end\n"),
      dir.Write("b.lua",
                "function on_ticket_created(t, ctx)\n"
                "  if shared_from_a then tag('leaked-across-scripts') end\n"
                "end\n")};
  auto rt = Runtime::Create(config, nullptr);
  ASSERT_TRUE(rt.ok()) << rt.status().ToString();
  Ticket t = TypicalTicket();
  for (int i = 0; i < 3; ++i) {
    RunResult r = (*rt)->Run(Event(t));
    EXPECT_TRUE(HasTag(r.decisions, "calls1")) << "event " << i;
    EXPECT_TRUE(HasTag(r.decisions, "counter1")) << "event " << i;
    EXPECT_FALSE(HasTag(r.decisions, "leaked"));
    EXPECT_FALSE(HasTag(r.decisions, "leaked-across-scripts"));
  }
}

TEST(Sandbox, RequireLoadsModulesFromTheModuleFolderOnly) {
  TempDir dir;
  TempDir outside;
  dir.Write("lib/words.lua", "local M = {}\nfunction M.has(s, w) return s:lower():find(w, 1, true) ~= nil end\nreturn M\n");
  const std::string secret = outside.Write("secret.lua", "return {}\n");
  std::filesystem::create_symlink(secret, std::filesystem::path(dir.path()) / "escape.lua");
  RuntimeConfig config;
  config.script_paths = {dir.Write("rule.lua",
                                   "local words = require('lib.words')\n"
                                   "function on_ticket_created(t, ctx)\n"
                                   "  if words.has(t.subject, 'log in') then tag('login') end\n"
                                   "  if t.subject == 'symlink' then require('escape') end\n"
                                   "end\n")};
  auto rt = Runtime::Create(config, nullptr);
  ASSERT_TRUE(rt.ok()) << rt.status().ToString();
  Ticket t = TypicalTicket("Cannot log in");
  EXPECT_TRUE(HasTag((*rt)->Run(Event(t)).decisions, "login"));
  Ticket s = TypicalTicket("symlink");
  RunResult r = (*rt)->Run(Event(s));
  EXPECT_EQ(r.records[0].outcome, "error");
  EXPECT_NE(r.records[0].reason.find("not found in the module folder"), std::string::npos) << r.records[0].reason;
}

}  // namespace
}  // namespace deskhook::scripts
