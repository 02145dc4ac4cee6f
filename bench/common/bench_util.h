// Small helpers shared by the benchmark programs.
#pragma once

#include <cstdint>
#include <string>

#include "connectors/model/headers.h"

namespace deskhook::bench {

// The value after `--name` on the command line, or `fallback`.
std::string Arg(int argc, char** argv, const std::string& name, const std::string& fallback);
// A loopback port that was free a moment ago (bound to 0, read, closed); 0 if none could be bound.
// Tests use it too.
int FreePort();
int64_t WallMs();
// Raw bytes of a keep-alive HTTP/1.1 POST to 127.0.0.1.
std::string RawPost(const std::string& path, const HeaderMap& headers, const std::string& body);
// Starts `binary serve --config config` as a child process; waits until /readyz answers 200.
// Returns the pid, or -1 (the child is killed) when it did not become ready.
int StartServer(const std::string& binary, const std::string& config, int port);
// CPU time (user + system) used so far by process `pid` (0 = this process), in ms; -1 if unknown.
// Lets a bench report CPU cost per event, which a busy machine distorts far less than rates.
double CpuMs(int pid = 0);

}  // namespace deskhook::bench
