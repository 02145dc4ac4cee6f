// `deskhook check-scripts` and `deskhook test-scripts`: the tools for people who write routing
// scripts. check-scripts compiles each script as the runtime would (errors as file:line);
// test-scripts runs *_test.lua files against the scripts (see docs/scripts.md).
#include <cstdio>
#include <string>
#include <vector>

#include "host/cli/command.h"
#include "host/config.h"
#include "scripts/runtime.h"
#include "scripts/test_runner.h"
#include "sentiment/sentiment.h"

namespace deskhook::cli {
namespace {

int CheckScripts(const std::vector<std::string>& args) {
  std::vector<std::string> files = Positionals(args);
  scripts::RuntimeConfig base;
  const std::string config_path = Flag(args, "config");
  if (!config_path.empty()) {
    auto config = LoadConfig(config_path, ConfigSecrets::kSkip);  // compiling needs no secrets
    if (!config.ok()) {
      std::fprintf(stderr, "deskhook: %s: %s\n", config_path.c_str(), config.status().message().c_str());
      return 2;
    }
    base = config->scripts;
    files.insert(files.end(), base.script_paths.begin(), base.script_paths.end());
  }
  if (files.empty()) {
    std::fprintf(stderr, "usage: deskhook check-scripts [--config FILE] [SCRIPT.lua...]\n");
    return 2;
  }
  int bad = 0;
  for (const auto& f : files) {
    Status st = scripts::CheckScript(base, f);
    if (st.ok()) {
      std::printf("ok     %s\n", f.c_str());
    } else {
      ++bad;
      std::printf("error  %s\n", st.message().c_str());
    }
  }
  if (bad == 0 && !config_path.empty() && !base.script_paths.empty()) {
    // Together, as the host loads them (names must be unique, order as configured).
    auto rt = scripts::Runtime::Create(base, nullptr);
    if (!rt.ok()) {
      ++bad;
      std::printf("error  %s\n", rt.status().message().c_str());
    }
  }
  std::printf("%zu checked, %d with errors\n", files.size(), bad);
  return bad == 0 ? 0 : 1;
}

int TestScripts(const std::vector<std::string>& args) {
  const std::vector<std::string> paths = Positionals(args);
  if (paths.empty()) {
    std::fprintf(stderr, "usage: deskhook test-scripts [--lexicon FILE] DIR|FILE_test.lua...\n");
    return 2;
  }
  sentiment::Options options;
  options.extra_lexicon_path = Flag(args, "lexicon");
  std::string error;
  std::unique_ptr<sentiment::Scorer> scorer = sentiment::Scorer::Create(options, &error);
  scripts::TestRunOptions run;
  if (scorer) {
    // The same scoring the host does before running scripts.
    run.score = [&scorer](const Ticket& ticket, scripts::EventContext* e) {
      std::vector<double> compounds;
      for (const auto& m : ticket.messages) {
        if (m.role != AuthorRole::kCustomer) continue;
        e->text = sentiment::CleanMessage(m.body);
        e->sentiment = scorer->Score(e->text);
        compounds.push_back(e->sentiment.compound);
      }
      e->trend = sentiment::Trend(compounds);
    };
  } else {
    std::fprintf(stderr, "deskhook: sentiment scorer unavailable (%s); tests must give sentiment values\n",
                 error.c_str());
  }
  int passed = 0, failed = 0;
  for (const auto& p : paths) {
    auto summary = scripts::RunScriptTests(p, run);
    if (!summary.ok()) {
      std::fprintf(stderr, "deskhook: %s\n", summary.status().message().c_str());
      return 2;
    }
    passed += summary->passed;
    failed += summary->failed;
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}

}  // namespace

DESKHOOK_COMMAND("check-scripts", "check-scripts [--config FILE] [SCRIPT.lua...]",
                 "compile routing scripts and report errors as file:line", CheckScripts);
DESKHOOK_COMMAND("test-scripts", "test-scripts [--lexicon FILE] DIR|FILE_test.lua...",
                 "run the Lua tests (*_test.lua) of routing scripts", TestScripts);

}  // namespace deskhook::cli
