// deskhook: a self-hosted plugin host for helpdesks. Dispatches to the registered subcommands.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "host/cli/command.h"

namespace deskhook::cli {

std::vector<Command>& Commands() {
  static std::vector<Command> commands;
  return commands;
}

std::string Flag(const std::vector<std::string>& args, const std::string& name,
                 const std::string& fallback) {
  const std::string dashed = "--" + name;
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == dashed && i + 1 < args.size()) return args[i + 1];
    if (args[i].rfind(dashed + "=", 0) == 0) return args[i].substr(dashed.size() + 1);
  }
  return fallback;
}

bool HasFlag(const std::vector<std::string>& args, const std::string& name) {
  const std::string dashed = "--" + name;
  return std::any_of(args.begin() + (args.empty() ? 0 : 1), args.end(), [&](const std::string& a) {
    return a == dashed || a.rfind(dashed + "=", 0) == 0;
  });
}

std::vector<std::string> Positionals(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i].rfind("--", 0) == 0) {
      // A flag with a separate value consumes the next argument, unless it is a known switch.
      if (args[i].find('=') == std::string::npos && i + 1 < args.size() &&
          args[i + 1].rfind("--", 0) != 0 && args[i] != "--explain" && args[i] != "--verbose" &&
          args[i] != "--dry-run" && args[i] != "--json") {
        ++i;
      }
      continue;
    }
    out.push_back(args[i]);
  }
  return out;
}

static void PrintHelp() {
  std::printf("deskhook %s: a self-hosted plugin host for helpdesks (Zendesk, Intercom).\n\n",
              DESKHOOK_VERSION);
  std::printf("usage: deskhook <command> [options]\n\ncommands:\n");
  auto cmds = Commands();
  std::sort(cmds.begin(), cmds.end(),
            [](const Command& a, const Command& b) { return std::strcmp(a.name, b.name) < 0; });
  for (const auto& c : cmds) std::printf("  %-44s %s\n", c.usage, c.summary);
  std::printf("\nSee README.md and docs/ for configuration and script reference.\n");
}

static int Version(const std::vector<std::string>&) {
  std::printf("deskhook %s\n", DESKHOOK_VERSION);
  return 0;
}
DESKHOOK_COMMAND("version", "version", "print the version", Version);

}  // namespace deskhook::cli

int main(int argc, char** argv) {
  using namespace deskhook::cli;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    PrintHelp();
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version") args[0] = "version";
  for (const auto& c : Commands()) {
    if (args[0] == c.name) return c.run(args);
  }
  std::fprintf(stderr, "deskhook: unknown command '%s' (see deskhook --help)\n", args[0].c_str());
  return 2;
}
