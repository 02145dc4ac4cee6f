// deskhook: a self-hosted plugin host for helpdesks. Dispatches to the registered subcommands.
//
// This file is the main() of both executables (docs/architecture.md, "Two executables"):
// deskhook-host registers every subcommand; the deskhook front end (DESKHOOK_FRONT_END) registers
// only the offline ones and execs deskhook-host from its own directory for the rest, keeping the
// process id and argv (a supervisor that started `deskhook serve` signals the server itself).
#include <unistd.h>

#include <algorithm>
#include <cerrno>
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

#ifdef DESKHOOK_FRONT_END
// Replaces this process with deskhook-host from the directory of this executable, with the same
// argv. Returns only if that fails (after printing why).
static void ExecHost(char** argv) {
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  std::string host = "deskhook-host";
  if (n > 0) {
    const std::string path(self, static_cast<size_t>(n));
    host = path.substr(0, path.rfind('/') + 1) + host;
  }
  ::execv(host.c_str(), argv);
  std::fprintf(stderr, "deskhook: cannot run %s: %s (it is installed next to deskhook)\n",
               host.c_str(), std::strerror(errno));
}
#endif

}  // namespace deskhook::cli

int main(int argc, char** argv) {
  using namespace deskhook::cli;
  std::vector<std::string> args(argv + 1, argv + argc);
  const bool help = args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help";
  if (!help) {
    if (args[0] == "--version") args[0] = "version";
    for (const auto& c : Commands()) {
      if (args[0] == c.name) return c.run(args);
    }
  }
#ifdef DESKHOOK_FRONT_END
  ExecHost(argv);  // the host knows every command, so it prints the whole help
  if (!help) return 127;
  std::fprintf(stderr, "deskhook: only the commands below are available without deskhook-host\n");
#endif
  if (help) {
    PrintHelp();
    return args.empty() ? 2 : 0;
  }
  std::fprintf(stderr, "deskhook: unknown command '%s' (see deskhook --help)\n", args[0].c_str());
  return 2;
}
