// `deskhook outbox list|show|retry|drop`: inspect and recover the outbox (dead letters) from the
// command line. Works on the store directly, so it also works while `deskhook serve` runs (a
// retried item is picked up at the server's next poll).
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <optional>

#include <boost/json.hpp>

#include "host/cli/command.h"
#include "host/config.h"
#include "host/log.h"
#include "host/outbox.h"
#include "host/store.h"

namespace deskhook::cli {
namespace {

namespace json = boost::json;

constexpr const char* kUsage =
    "usage: deskhook outbox list [--state pending|done|dead|dropped] [--limit N] [--json]\n"
    "       deskhook outbox show ID\n"
    "       deskhook outbox retry ID\n"
    "       deskhook outbox drop ID\n"
    "       (each with --config FILE, or --store PATH)\n";

std::unique_ptr<Store> OpenStore(const std::vector<std::string>& args) {
  std::string path = Flag(args, "store");
  if (path.empty()) {
    std::string config_path = Flag(args, "config");
    if (config_path.empty()) {
      std::fprintf(stderr, "deskhook outbox: --config FILE or --store PATH is required\n");
      return nullptr;
    }
    auto config = LoadConfig(config_path);
    if (!config.ok()) {
      std::fprintf(stderr, "deskhook outbox: %s\n", config.status().message().c_str());
      return nullptr;
    }
    path = config->store_path;
  }
  if (!std::filesystem::exists(path)) {
    std::fprintf(stderr, "deskhook outbox: no store at %s\n", path.c_str());
    return nullptr;
  }
  StoreOptions so;
  so.path = path;
  auto store = Store::Open(so);
  if (!store.ok()) {
    std::fprintf(stderr, "deskhook outbox: %s\n", store.status().ToString().c_str());
    return nullptr;
  }
  return std::move(store.value());
}

std::optional<int64_t> ParseId(const std::string& s) {
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || v <= 0) return std::nullopt;
  return v;
}

std::string When(int64_t ms) {
  if (ms <= 0) return "-";
  std::time_t t = ms / 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

json::object ItemJson(const OutboxItem& i) {
  return {{"id", i.id},           {"event_id", i.event_id},     {"seq", i.seq},
          {"instance", i.instance}, {"ticket_id", i.ticket_id}, {"kind", i.call.kind},
          {"method", i.call.method}, {"path", i.call.path},     {"body", i.call.body},
          {"state", OutboxStateName(i.state)}, {"attempts", i.attempts},
          {"next_attempt_ms", i.next_attempt_ms}, {"last_status", i.last_status},
          {"last_error", i.last_error}, {"created_ms", i.created_ms}, {"updated_ms", i.updated_ms}};
}

int List(Store* store, const std::vector<std::string>& args) {
  std::optional<OutboxState> state;
  std::string want = Flag(args, "state");
  if (!want.empty()) {
    for (auto s : {OutboxState::kPending, OutboxState::kDone, OutboxState::kDead, OutboxState::kDropped}) {
      if (want == OutboxStateName(s)) state = s;
    }
    if (!state) {
      std::fprintf(stderr, "deskhook outbox: --state must be pending, done, dead or dropped\n");
      return 2;
    }
  }
  int limit = std::atoi(Flag(args, "limit", "100").c_str());
  if (limit <= 0) limit = 100;
  auto items = store->ListOutbox(state, limit);
  if (!items.ok()) {
    std::fprintf(stderr, "deskhook outbox: %s\n", items.status().ToString().c_str());
    return 1;
  }
  if (HasFlag(args, "json")) {
    for (const auto& i : *items) std::printf("%s\n", json::serialize(ItemJson(i)).c_str());
    return 0;
  }
  std::printf("%-8s %-8s %-12s %-10s %-14s %-4s %-6s %-20s %s\n", "ID", "STATE", "INSTANCE",
              "TICKET", "CALL", "TRY", "STATUS", "UPDATED", "LAST ERROR");
  for (const auto& i : *items) {
    std::string err = AnswerExcerpt(i.last_error, 100);
    for (char& c : err) if (c == '\n') c = ' ';
    std::printf("%-8lld %-8s %-12s %-10s %-14s %-4d %-6d %-20s %s\n", static_cast<long long>(i.id),
                std::string(OutboxStateName(i.state)).c_str(), i.instance.c_str(),
                i.ticket_id.c_str(), (i.call.method + " " + i.call.kind).c_str(), i.attempts,
                i.last_status, When(i.updated_ms).c_str(), err.c_str());
  }
  if (items->empty()) std::printf("(no %s items)\n", want.empty() ? "outbox" : want.c_str());
  return 0;
}

int Show(Store* store, int64_t id) {
  auto item = store->GetOutbox(id);
  if (!item.ok()) {
    std::fprintf(stderr, "deskhook outbox: %s\n", item.status().message().c_str());
    return 1;
  }
  json::object out = ItemJson(*item);
  json::array attempts;
  if (auto log = store->LogFor(item->event_id); log.ok()) {
    for (const auto& e : *log) {
      if (e.stage != "delivery") continue;
      json::error_code ec;
      json::value rec = json::parse(e.record_json, ec);
      if (ec || !rec.is_object()) continue;
      const json::value* oid = rec.as_object().if_contains("outbox_id");
      if (oid && oid->is_int64() && oid->as_int64() == id) attempts.push_back(rec);
    }
  }
  out["delivery_log"] = std::move(attempts);
  std::printf("%s\n", json::serialize(out).c_str());
  return 0;
}

int Outbox(const std::vector<std::string>& args) {
  log::SetLevel(log::Level::kError);
  std::vector<std::string> pos = Positionals(args);
  if (pos.empty() || HasFlag(args, "help")) {
    std::fprintf(pos.empty() ? stderr : stdout, "%s", kUsage);
    return pos.empty() ? 2 : 0;
  }
  const std::string& verb = pos[0];
  std::optional<int64_t> id;
  if (verb == "show" || verb == "retry" || verb == "drop") {
    if (pos.size() != 2 || !(id = ParseId(pos[1]))) {
      std::fprintf(stderr, "deskhook outbox %s: expected one numeric ID\n%s", verb.c_str(), kUsage);
      return 2;
    }
  } else if (verb != "list") {
    std::fprintf(stderr, "deskhook outbox: unknown action '%s'\n%s", verb.c_str(), kUsage);
    return 2;
  }
  std::unique_ptr<Store> store = OpenStore(args);
  if (!store) return 1;
  if (verb == "list") return List(store.get(), args);
  if (verb == "show") return Show(store.get(), *id);
  Status s = verb == "retry" ? RetryOutboxItem(store.get(), *id) : DropOutboxItem(store.get(), *id);
  if (!s.ok()) {
    std::fprintf(stderr, "deskhook outbox %s: %s\n", verb.c_str(), s.message().c_str());
    return 1;
  }
  std::printf(verb == "retry" ? "outbox item %lld is pending again (attempts reset)\n"
                              : "outbox item %lld dropped (it will not be sent)\n",
              static_cast<long long>(*id));
  return 0;
}

}  // namespace

DESKHOOK_COMMAND("outbox", "outbox list|show|retry|drop [ID] --config FILE",
                 "inspect the outbox; retry or drop dead letters", Outbox);

}  // namespace deskhook::cli
