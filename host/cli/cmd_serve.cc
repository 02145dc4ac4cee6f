// `deskhook serve --config FILE` and `deskhook check-config FILE`.
#include <cstdio>

#include "host/cli/command.h"
#include "host/config.h"
#include "host/daemon.h"
#include "host/log.h"

namespace deskhook::cli {
namespace {

int Serve(const std::vector<std::string>& args) {
  Daemon::BlockSignals();
  std::string path = Flag(args, "config");
  if (path.empty()) {
    std::fprintf(stderr, "usage: deskhook serve --config FILE\n");
    return 2;
  }
  auto config = LoadConfig(path);
  if (!config.ok()) {
    std::fprintf(stderr, "deskhook: config error: %s\n", config.status().message().c_str());
    return 1;
  }
  for (const std::string& w : config->warnings) log::Warn("config warning", {{"warning", std::string_view(w)}});
  if (std::string port = Flag(args, "port"); !port.empty()) config->http.port = std::stoi(port);
  auto daemon = Daemon::Create(std::move(config.value()));
  if (!daemon.ok()) {
    std::fprintf(stderr, "deskhook: cannot start: %s\n", daemon.status().ToString().c_str());
    return 1;
  }
  if (Status s = (*daemon)->Start(); !s.ok()) {
    std::fprintf(stderr, "deskhook: cannot start: %s\n", s.ToString().c_str());
    return 1;
  }
  (*daemon)->RunUntilSignal();
  return 0;
}

int CheckConfig(const std::vector<std::string>& args) {
  auto pos = Positionals(args);
  std::string path = pos.empty() ? Flag(args, "config") : pos[0];
  if (path.empty()) {
    std::fprintf(stderr, "usage: deskhook check-config FILE\n");
    return 2;
  }
  auto config = LoadConfig(path);
  if (!config.ok()) {
    std::fprintf(stderr, "%s: %s\n", path.c_str(), config.status().message().c_str());
    return 1;
  }
  for (const std::string& w : config->warnings) std::fprintf(stderr, "%s: warning: %s\n", path.c_str(), w.c_str());
  std::printf("%s: ok (%zu connector instance(s), %zu script(s), store %s)\n", path.c_str(),
              config->connectors.size(), config->scripts.script_paths.size(), config->store_path.c_str());
  return 0;
}

}  // namespace

DESKHOOK_COMMAND("serve", "serve --config FILE", "receive webhooks, decide, act (the main job)", Serve);
DESKHOOK_COMMAND("check-config", "check-config FILE", "validate a config file without serving", CheckConfig);

}  // namespace deskhook::cli
