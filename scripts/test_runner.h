// `deskhook test-scripts`: runs Lua test files (*_test.lua) that feed events to scripts and
// assert on the decisions. The Lua side (test, run, expect_*) is documented in docs/scripts.md.
#pragma once

#include <cstdio>
#include <functional>
#include <string>

#include "connectors/model/status.h"
#include "scripts/runtime.h"

namespace deskhook::scripts {

struct TestRunOptions {
  // Fills event->sentiment, event->trend and event->text from the ticket's customer messages,
  // as the host does. nullptr: zeros (tests then give t.sentiment values explicitly).
  std::function<void(const Ticket& ticket, EventContext* event)> score;
  std::FILE* out = stdout;
};

struct TestRunSummary {
  int files = 0;
  int passed = 0;
  int failed = 0;
};

// Runs `path` (one *_test.lua file, or every *_test.lua directly in a folder, sorted), printing
// one line per test. A file that does not load counts as one failed test.
Result<TestRunSummary> RunScriptTests(const std::string& path, const TestRunOptions& options);

}  // namespace deskhook::scripts
