// Subcommand registry for the `deskhook` executable. Each subcommand lives in its own file under
// host/cli/ and registers itself with a static DESKHOOK_COMMAND(...) line.
#pragma once

#include <string>
#include <vector>

namespace deskhook::cli {

// argv[0] is the subcommand name; returns the process exit code.
using CommandFn = int (*)(const std::vector<std::string>& args);

struct Command {
  const char* name;
  const char* usage;    // one line: "serve --config FILE"
  const char* summary;  // one line
  CommandFn run;
};

std::vector<Command>& Commands();

struct Registrar {
  explicit Registrar(Command c) { Commands().push_back(c); }
};

// Returns the value after `--name` (or `--name=value`), or `fallback`.
std::string Flag(const std::vector<std::string>& args, const std::string& name,
                 const std::string& fallback = "");
bool HasFlag(const std::vector<std::string>& args, const std::string& name);
// Non-flag arguments after the subcommand name.
std::vector<std::string> Positionals(const std::vector<std::string>& args);

}  // namespace deskhook::cli

#define DESKHOOK_COMMAND_CAT2(a, b) a##b
#define DESKHOOK_COMMAND_CAT(a, b) DESKHOOK_COMMAND_CAT2(a, b)
#define DESKHOOK_COMMAND(name, usage, summary, fn)                                          \
  static ::deskhook::cli::Registrar DESKHOOK_COMMAND_CAT(deskhook_cmd_, __LINE__)(          \
      ::deskhook::cli::Command{name, usage, summary, fn})
