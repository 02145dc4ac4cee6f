// `deskhook replay --config FILE --connector NAME [--url URL] PAYLOAD.json...`: sends sample
// deliveries to a running deskhook, signed with the instance's secret as the platform would.
// For first installs ("does my config accept what Zendesk sends?") and for the demo.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <httplib.h>

#include "host/cli/command.h"
#include "host/config.h"
#include "host/webhook_signer.h"

namespace deskhook::cli {
namespace {

int Replay(const std::vector<std::string>& args) {
  auto config = LoadConfig(Flag(args, "config"));
  if (!config.ok()) {
    std::fprintf(stderr, "deskhook replay: %s\n", config.status().message().c_str());
    return 1;
  }
  const InstanceConfig* inst = config->FindInstance(Flag(args, "connector"));
  if (inst == nullptr) {
    std::fprintf(stderr, "deskhook replay: --connector must name a connector instance of the config\n");
    return 2;
  }
  std::string url = Flag(args, "url", "http://" + config->http.address + ":" + std::to_string(config->http.port));
  httplib::Client client(url);
  client.set_connection_timeout(5);
  client.set_read_timeout(15);
  int failures = 0;
  for (const auto& file : Positionals(args)) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "%s: cannot read\n", file.c_str());
      ++failures;
      continue;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    std::string body = ss.str();
    int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::system_clock::now().time_since_epoch()).count();
    HeaderMap signed_headers = SignDelivery(*inst, body, now, "");
    httplib::Headers headers;
    for (const auto& [k, v] : signed_headers.items()) {
      if (k != "Content-Type") headers.emplace(k, v);
    }
    auto res = client.Post("/hooks/" + inst->name, headers, body, "application/json");
    if (!res) {
      std::fprintf(stderr, "%s: no answer from %s (%s)\n", file.c_str(), url.c_str(),
                   httplib::to_string(res.error()).c_str());
      ++failures;
      continue;
    }
    std::printf("%s -> %d %s\n", file.c_str(), res->status, res->body.c_str());
    if (res->status / 100 != 2) ++failures;
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace

DESKHOOK_COMMAND("replay", "replay --config F --connector NAME FILE...",
                 "send sample payloads to a running deskhook, signed like the platform", Replay);

}  // namespace deskhook::cli
