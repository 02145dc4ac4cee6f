// `deskhook report --config FILE`: what happened to each ticket, read from the store — its
// events, sentiment and trend, what the scripts decided and why, and where each call stands.
#include <cstdio>
#include <map>

#include <boost/json.hpp>

#include "host/cli/command.h"
#include "host/config.h"
#include "host/log.h"
#include "host/store.h"

namespace deskhook::cli {
namespace json = boost::json;
namespace {

json::value Parse(const std::string& s) {
  json::error_code ec;
  json::value v = json::parse(s, ec);
  return ec ? json::value() : v;
}

std::string Str(const json::value& v) {
  if (v.is_string()) return std::string(v.as_string());
  if (v.is_null()) return "";
  return json::serialize(v);
}

int Report(const std::vector<std::string>& args) {
  log::SetLevel(log::Level::kError);
  std::string store_path = Flag(args, "store");
  if (store_path.empty()) {
    auto config = LoadConfig(Flag(args, "config"));
    if (!config.ok()) {
      std::fprintf(stderr, "deskhook report: %s\n", config.status().message().c_str());
      return 1;
    }
    store_path = config->store_path;
  }
  StoreOptions so;
  so.path = store_path;
  auto store = Store::Open(so);
  if (!store.ok()) {
    std::fprintf(stderr, "deskhook report: %s\n", store.status().ToString().c_str());
    return 1;
  }
  auto events = (*store)->RecentEvents(10000);
  auto outbox = (*store)->ListOutbox(std::nullopt, 100000);
  if (!events.ok() || !outbox.ok()) {
    std::fprintf(stderr, "deskhook report: cannot read the store\n");
    return 1;
  }
  std::map<std::pair<std::string, std::string>, std::vector<StoredEvent>> by_ticket;
  for (auto it = events->rbegin(); it != events->rend(); ++it) by_ticket[{it->instance, it->ticket_id}].push_back(*it);
  std::map<int64_t, std::vector<const OutboxItem*>> calls_by_event;
  for (const auto& item : *outbox) calls_by_event[item.event_id].push_back(&item);

  for (const auto& [key, evs] : by_ticket) {
    if (key.second.empty()) std::printf("\n%s (not about one ticket: FAQ drafts)\n", key.first.c_str());
    else std::printf("\n%s ticket %s (%zu event%s)\n", key.first.c_str(), key.second.c_str(), evs.size(), evs.size() == 1 ? "" : "s");
    for (const auto& e : evs) {
      const char* state = e.state == EventState::kDone ? "done" : e.state == EventState::kPending ? "pending"
                        : e.state == EventState::kSkipped ? "skipped" : "failed";
      std::printf("  event %lld %s [%s]\n", static_cast<long long>(e.id), e.kind.c_str(), state);
      auto log = (*store)->LogFor(e.id);
      if (!log.ok()) continue;
      for (const auto& entry : *log) {
        json::value r = Parse(entry.record_json);
        if (!r.is_object()) continue;
        const auto& o = r.as_object();
        if (entry.stage == "sentiment") {
          const auto& msgs = o.at("messages").as_array();
          if (!msgs.empty()) {
            const auto& m = msgs.back().as_object();
            std::printf("    sentiment %+.2f  frustration %.2f  churn %.2f  wants_human %.2f  urgency %.2f\n",
                        m.at("compound").to_number<double>(), m.at("frustration").to_number<double>(),
                        m.at("churn_risk").to_number<double>(), m.at("wants_human").to_number<double>(),
                        m.at("urgency").to_number<double>());
          }
          const auto& t = o.at("trend").as_object();
          std::printf("    trend: %lld message(s), ewma %+.2f, slope %+.2f%s\n", static_cast<long long>(t.at("messages").to_number<int64_t>()),
                      t.at("ewma").to_number<double>(), t.at("slope").to_number<double>(),
                      t.at("escalating").as_bool() ? ", ESCALATING" : "");
        } else if (entry.stage == "faq_draft") {
          std::printf("    FAQ draft (%s): \"%s\"\n", Str(o.at("source")).c_str(), Str(o.at("title")).c_str());
        } else if (entry.stage == "override") {
          std::printf("    override by %s: %s\n", Str(o.at("by")).c_str(), Str(o.at("decisions")).c_str());
        } else if (entry.stage == "similar") {
          std::printf("    similar questions: %s in group %s\n", Str(o.at("count")).c_str(), Str(o.at("group")).c_str());
        } else if (entry.stage == "script") {
          std::printf("    script %s: %s%s%s\n", Str(o.at("script")).c_str(), Str(o.at("outcome")).c_str(),
                      Str(o.at("reason")).empty() ? "" : " — ", Str(o.at("reason")).c_str());
        } else if (entry.stage == "decision") {
          if (o.contains("skipped")) {
            std::printf("    skipped: %s\n", Str(o.at("skipped")).c_str());
            continue;
          }
          const auto& d = o.at("decisions").as_object();
          for (const auto& [k, v] : d) std::printf("    decided %s: %s\n", std::string(k).c_str(), Str(v).c_str());
          if (d.empty()) std::printf("    decided: nothing (routine)\n");
          if (o.contains("reasons") && !o.at("reasons").as_array().empty())
            std::printf("    because: %s\n", Str(o.at("reasons")).c_str());
        }
      }
      for (const OutboxItem* c : calls_by_event[e.id]) {
        std::printf("    call %s %s -> %s (attempts %d%s%s)\n", c->call.method.c_str(), c->call.path.c_str(),
                    std::string(OutboxStateName(c->state)).c_str(), c->attempts, c->last_status ? ", last " : "",
                    c->last_status ? std::to_string(c->last_status).c_str() : "");
      }
    }
  }
  return 0;
}

}  // namespace

DESKHOOK_COMMAND("report", "report --config FILE | --store DB", "what happened to each ticket", Report);

}  // namespace deskhook::cli
