#include "connectors/intercom/intercom_calls.h"

#include <boost/json.hpp>

#include <algorithm>
#include <cstdint>

namespace deskhook {
namespace {

namespace json = boost::json;

int64_t ToInt(std::string_view decimal) {  // REQUIRES: IsDecimalId(decimal)
  int64_t v = 0;
  for (char c : decimal) v = v * 10 + (c - '0');
  return v;
}

std::string HtmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\n': out += "<br>"; break;
      default: out += c;
    }
  }
  return out;
}

struct Builder {
  const InstanceConfig& config;
  std::string_view event_key;
  CallPlan plan;

  ApiCall& Push(std::string kind, std::string method, std::string path, const json::value& body) {
    ApiCall c;
    c.kind = std::move(kind);
    c.method = std::move(method);
    c.path = std::move(path);
    c.headers = JsonHeaders();
    c.headers.emplace_back("Intercom-Version", config.api_version.empty() ? "2.14" : config.api_version);
    c.body = json::serialize(body);
    c.idempotency_key = CallIdempotencyKey(event_key, plan.calls.size(), c.method, c.path, c.body);
    plan.calls.push_back(std::move(c));
    return plan.calls.back();
  }

  // POST /tags creates the tag or returns the existing one (names are case-insensitive).
  std::string ResolveTag(const std::string& name, const std::string& capture) {
    json::object body;
    body["name"] = name;
    ApiCall& c = Push("tag_resolve", "POST", "/tags", body);
    c.capture_pointer = "/id";
    c.capture_as = capture;
    return "{{" + capture + "}}";
  }
};

// Preview's conversation priority: none | low | medium | high | urgent.
std::optional<std::string> PreviewPriority(std::string_view p) {
  if (p == "low") return "low";
  if (p == "normal") return "medium";
  if (p == "high") return "high";
  if (p == "urgent") return "urgent";
  return std::nullopt;
}

std::string ConversationIdFromPath(std::string_view path) {
  constexpr std::string_view kPrefix = "/conversations/";
  if (path.substr(0, kPrefix.size()) != kPrefix) return "";
  path.remove_prefix(kPrefix.size());
  return std::string(path.substr(0, path.find('/')));
}

}  // namespace

CallPlan PlanIntercomCalls(const InstanceConfig& config, const Ticket& ticket,
                           const DecisionSet& d, std::string_view event_key) {
  Builder b{config, event_key, {}};
  const auto add = UniqueNonEmpty(d.add_tags);
  auto remove = UniqueNonEmpty(d.remove_tags);
  std::erase_if(remove, [&](const std::string& t) {
    return std::find(add.begin(), add.end(), t) != add.end();
  });
  std::vector<std::string> notes;
  for (const auto& n : d.notes)
    if (!n.empty()) notes.push_back(n);
  const bool conversation_work = d.group_id || d.assignee_id || d.priority || !add.empty() ||
                                 !remove.empty() || !notes.empty();

  if (conversation_work && (ticket.id.empty() || config.admin_id.empty())) {
    b.plan.skipped.push_back(ticket.id.empty()
                                 ? "intercom: the event has no conversation id; no conversation calls"
                                 : "intercom: admin_id is not configured (every conversation write "
                                   "needs the acting admin); no conversation calls");
  } else if (conversation_work) {
    const std::string conv = "/conversations/" + PercentEncode(ticket.id);
    for (size_t i = 0; i < add.size(); ++i) {
      json::object body;
      body["id"] = b.ResolveTag(add[i], "tag_" + std::to_string(i));
      body["admin_id"] = config.admin_id;
      b.Push("tag", "POST", conv + "/tags", body);
    }
    for (size_t i = 0; i < remove.size(); ++i) {
      const std::string id = b.ResolveTag(remove[i], "untag_" + std::to_string(i));
      json::object body;
      body["admin_id"] = config.admin_id;
      b.Push("untag", "DELETE", conv + "/tags/" + id, body);
    }
    // A conversation can have a team and an admin assignee: one /parts call each.
    auto assign = [&](std::string_view type, const std::string& assignee) {
      json::object body;
      body["message_type"] = "assignment";
      body["type"] = type;
      body["admin_id"] = config.admin_id;
      body["assignee_id"] = assignee;
      b.Push("assign", "POST", conv + "/parts", body);
    };
    if (d.group_id) assign("team", *d.group_id);
    if (d.assignee_id) assign("admin", *d.assignee_id);
    if (d.priority) {
      const auto p = PreviewPriority(*d.priority);
      if (!p) {
        b.plan.skipped.push_back("intercom: priority '" + *d.priority +
                                 "' is not one of low, normal, high, urgent; not set");
      } else if (config.api_version != "Preview") {
        b.plan.skipped.push_back(
            "intercom: priority '" + *d.priority + "' not set: Intercom-Version " +
            config.api_version +
            " has no writable conversation priority (only the Preview version's PUT "
            "/conversations/{id} has one; set api_version to Preview to enable it)");
      } else {
        json::object body;
        body["priority"] = *p;
        body["admin_id"] = config.admin_id;
        b.Push("priority", "PUT", conv, body);
      }
    }
    if (!notes.empty()) {
      std::string html;
      for (const auto& n : notes) html += "<p>" + HtmlEscape(n) + "</p>";
      html += "<p>" + EffectMarker(event_key, "intercom-note") + "</p>";
      json::object body;
      body["message_type"] = "note";
      body["type"] = "admin";
      body["admin_id"] = config.admin_id;
      body["body"] = html;
      b.Push("note", "POST", conv + "/reply", body);
    }
  }

  if (!d.drafts.empty() && !IsDecimalId(config.article_author_id)) {
    b.plan.skipped.push_back("intercom: article_author_id is missing or not numeric; " +
                             std::to_string(d.drafts.size()) + " FAQ draft(s) not created");
  } else {
    for (size_t i = 0; i < d.drafts.size(); ++i) {
      const FaqDraft& draft = d.drafts[i];
      if (draft.title.empty()) {
        b.plan.skipped.push_back("intercom: FAQ draft " + std::to_string(i) + " has no title; not created");
        continue;
      }
      json::object body;
      body["title"] = draft.title;
      body["author_id"] = ToInt(config.article_author_id);
      body["body"] = draft.body_html + "<p>" +
                     EffectMarker(event_key, "intercom-article-" + std::to_string(i)) +
                     " (drafted by deskhook; review before publishing)</p>";
      body["state"] = "draft";
      if (IsDecimalId(config.article_parent_id)) {
        body["parent_id"] = ToInt(config.article_parent_id);
        body["parent_type"] = "collection";
      } else if (!config.article_parent_id.empty()) {
        b.plan.skipped.push_back("intercom: article_parent_id '" + config.article_parent_id +
                                 "' is not numeric; draft created without a collection");
      }
      b.Push("article", "POST", "/articles", body);
    }
  }
  return std::move(b.plan);
}

std::vector<ApiCall> BuildIntercomCalls(const InstanceConfig& config, const Ticket& ticket,
                                        const DecisionSet& decisions, std::string_view event_key) {
  return PlanIntercomCalls(config, ticket, decisions, event_key).calls;
}

std::optional<ApiCall> BuildIntercomEffectCheck(const InstanceConfig& config, const ApiCall& call) {
  const auto marker = FindEffectMarker(call.body);
  if (!marker) return std::nullopt;
  ApiCall check;
  check.method = "GET";
  check.headers = {{"Accept", "application/json"},
                   {"Intercom-Version", config.api_version.empty() ? "2.14" : config.api_version}};
  if (call.kind == "note") {
    const std::string id = ConversationIdFromPath(call.path);
    if (id.empty()) return std::nullopt;
    check.kind = "note_check";
    check.path = "/conversations/" + id;
  } else if (call.kind == "article") {
    check.kind = "article_check";
    check.path = "/articles/search?phrase=" + marker->substr(kMarkerPrefix.size()) + "&state=draft";
  } else {
    return std::nullopt;
  }
  check.idempotency_key = CallIdempotencyKey(call.idempotency_key, 0, check.method, check.path, "");
  return check;
}

std::vector<std::pair<std::string, std::string>> IntercomAuthHeaders(const InstanceConfig& config) {
  return {{"Authorization", "Bearer " + config.access_token}};
}

}  // namespace deskhook
