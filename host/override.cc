#include "host/override.h"

#include <boost/json.hpp>

#include "host/decision_json.h"
#include "host/event_processor.h"

namespace deskhook {
namespace json = boost::json;
namespace {

std::string Str(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return "";
  if (v->is_string()) return std::string(v->as_string());
  if (v->is_int64()) return std::to_string(v->as_int64());
  throw std::invalid_argument(std::string(key) + " must be a string");
}

std::vector<std::string> Strs(const json::object& o, const char* key) {
  std::vector<std::string> out;
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return out;
  if (!v->is_array()) throw std::invalid_argument(std::string(key) + " must be an array of strings");
  for (const auto& item : v->as_array()) {
    if (!item.is_string()) throw std::invalid_argument(std::string(key) + " must be an array of strings");
    out.emplace_back(item.as_string());
  }
  return out;
}

}  // namespace

Result<int64_t> RecordOverride(Store* store, const std::map<std::string, const Connector*>& connectors,
                               const std::string& body, int64_t now_ms) {
  json::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return Status::InvalidArgument("body must be a JSON object");
  const json::object& o = v.as_object();
  Ticket ticket;
  DecisionSet d;
  std::string by;
  try {
    ticket.instance = Str(o, "instance");
    ticket.id = Str(o, "ticket");
    if (auto g = Str(o, "group"); !g.empty()) d.group_id = g;
    if (auto a = Str(o, "agent"); !a.empty()) d.assignee_id = a;
    if (auto p = Str(o, "priority"); !p.empty()) d.priority = p;
    d.add_tags = Strs(o, "add_tags");
    d.remove_tags = Strs(o, "remove_tags");
    by = Str(o, "by");
    if (auto n = Str(o, "note"); !n.empty()) d.notes.push_back(n);
  } catch (const std::invalid_argument& e) {
    return Status::InvalidArgument(e.what());
  }
  auto it = connectors.find(ticket.instance);
  if (it == connectors.end()) return Status::InvalidArgument("instance: no connector instance named '" + ticket.instance + "'");
  if (ticket.id.empty()) return Status::InvalidArgument("ticket is required");
  if (d.priority && *d.priority != "low" && *d.priority != "normal" && *d.priority != "high" && *d.priority != "urgent")
    return Status::InvalidArgument("priority must be low, normal, high or urgent");
  if (d.empty()) return Status::InvalidArgument("nothing to change");

  const std::string key = "override-" + std::to_string(now_ms) + "-" + ticket.instance + "-" + ticket.id;
  ProcessedEvent p;
  p.processed_ms = now_ms;
  p.calls = it->second->BuildCalls(ticket, d, key);
  json::array calls;
  for (const auto& c : p.calls) calls.push_back(json::parse(ApiCallJson(c)));
  p.log.push_back(LogEntry{0, "override",
                           json::serialize(json::object{{"by", by}, {"decisions", json::parse(DecisionSetJson(d))},
                                                        {"calls", std::move(calls)}}),
                           now_ms});
  NewEvent e;
  e.instance = ticket.instance;
  e.ticket_id = ticket.id;
  e.kind = "override";
  e.dedupe_key = key;
  e.received_ms = now_ms;
  e.body = body;
  e.meta_json = "{}";
  return store->RecordInternalEvent(e, std::move(p));
}

}  // namespace deskhook
