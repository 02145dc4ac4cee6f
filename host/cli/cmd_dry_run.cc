// `deskhook dry-run --config FILE --connector NAME --event payload.json`: what deskhook would do
// with this delivery — the normalised ticket, its sentiment, each script's decisions and the API
// calls — without a store and without calling any helpdesk.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>

#include "host/cli/command.h"
#include "host/config.h"
#include "host/event_processor.h"
#include "host/log.h"

namespace deskhook::cli {
namespace {

void PrettyPrint(const boost::json::value& v, std::string indent = "") {
  // Compact enough for a terminal: objects one key per line, arrays of scalars inline.
  using namespace boost::json;
  if (v.is_object()) {
    std::printf("{\n");
    bool first = true;
    for (const auto& [k, val] : v.as_object()) {
      if (!first) std::printf(",\n");
      first = false;
      std::printf("%s  \"%s\": ", indent.c_str(), std::string(k).c_str());
      PrettyPrint(val, indent + "  ");
    }
    std::printf("\n%s}", indent.c_str());
  } else if (v.is_array() && !v.as_array().empty() && (v.as_array()[0].is_object() || v.as_array()[0].is_array())) {
    std::printf("[\n");
    bool first = true;
    for (const auto& val : v.as_array()) {
      if (!first) std::printf(",\n");
      first = false;
      std::printf("%s  ", indent.c_str());
      PrettyPrint(val, indent + "  ");
    }
    std::printf("\n%s]", indent.c_str());
  } else {
    std::printf("%s", serialize(v).c_str());
  }
}

int DryRun(const std::vector<std::string>& args) {
  log::SetLevel(log::Level::kError);
  auto config = LoadConfig(Flag(args, "config"));
  if (!config.ok()) {
    std::fprintf(stderr, "deskhook dry-run: %s\n", config.status().message().c_str());
    return 1;
  }
  const InstanceConfig* inst = config->FindInstance(Flag(args, "connector"));
  std::string event_path = Flag(args, "event");
  if (inst == nullptr || event_path.empty()) {
    std::fprintf(stderr, "usage: deskhook dry-run --config FILE --connector NAME --event payload.json\n");
    return 2;
  }
  std::ifstream in(event_path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "deskhook dry-run: cannot read %s\n", event_path.c_str());
    return 1;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  auto connector = MakeConnector(*inst);
  if (!connector.ok()) {
    std::fprintf(stderr, "deskhook dry-run: %s\n", connector.status().message().c_str());
    return 1;
  }
  sentiment::Options so;
  so.extra_lexicon_path = config->extra_lexicon;
  std::string error;
  auto scorer = sentiment::Scorer::Create(so, &error);
  if (!scorer) {
    std::fprintf(stderr, "deskhook dry-run: sentiment: %s\n", error.c_str());
    return 1;
  }
  auto processor = EventProcessor::Create(config->scripts, nullptr, scorer.get(), nullptr);
  if (!processor.ok()) {
    std::fprintf(stderr, "deskhook dry-run: scripts: %s\n", processor.status().message().c_str());
    return 1;
  }
  StoredEvent e;
  e.id = 1;
  e.instance = inst->name;
  e.body = ss.str();
  int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch()).count();
  e.received_ms = now;
  ProcessedEvent out = (*processor)->Process(e, connector->get(), now);
  for (const auto& entry : out.log) {
    std::printf("== %s\n", entry.stage.c_str());
    boost::json::error_code ec;
    auto v = boost::json::parse(entry.record_json, ec);
    if (ec) std::printf("%s", entry.record_json.c_str());
    else PrettyPrint(v);
    std::printf("\n");
  }
  std::printf("== result: %s, %zu API call(s) would be sent (dry-run: none sent)\n",
              out.state == EventState::kFailed ? "failed" : "ok", out.calls.size());
  return out.state == EventState::kFailed ? 1 : 0;
}

}  // namespace

DESKHOOK_COMMAND("dry-run", "dry-run --config F --connector NAME --event P.json",
                 "show what deskhook would decide for a payload; calls nothing", DryRun);

}  // namespace deskhook::cli
