#include "connectors/zendesk/zendesk_calls.h"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <cstdint>

#include "connectors/common/crypto.h"

namespace deskhook {
namespace {

namespace json = boost::json;

constexpr std::array<std::string_view, 4> kPriorities = {"urgent", "high", "normal", "low"};

int64_t ToInt(std::string_view decimal) {  // REQUIRES: IsDecimalId(decimal)
  int64_t v = 0;
  for (char c : decimal) v = v * 10 + (c - '0');
  return v;
}

json::array ToArray(const std::vector<std::string>& items) {
  json::array a;
  for (const auto& s : items) a.emplace_back(s);
  return a;
}

void Push(std::vector<ApiCall>& calls, std::string kind, std::string method, std::string path,
          const json::value& body, std::string_view event_key) {
  ApiCall c;
  c.kind = std::move(kind);
  c.method = std::move(method);
  c.path = std::move(path);
  c.headers = JsonHeaders();
  c.body = json::serialize(body);
  c.idempotency_key = CallIdempotencyKey(event_key, calls.size(), c.method, c.path, c.body);
  calls.push_back(std::move(c));
}

// The internal comment: every note in decision order, then the marker on its own line.
std::string NoteBody(const std::vector<std::string>& notes, std::string_view marker) {
  std::string body;
  for (const auto& n : notes) {
    if (n.empty()) continue;
    if (!body.empty()) body += "\n\n";
    body += n;
  }
  body += "\n\n";
  body += marker;
  return body;
}

void PlanTicketUpdate(const InstanceConfig& config, const Ticket& ticket, const DecisionSet& d,
                      std::string_view event_key, CallPlan& plan) {
  const bool has_notes = [&] {
    for (const auto& n : d.notes)
      if (!n.empty()) return true;
    return false;
  }();
  const auto add = UniqueNonEmpty(d.add_tags);
  auto remove = UniqueNonEmpty(d.remove_tags);
  std::erase_if(remove, [&](const std::string& t) {
    return std::find(add.begin(), add.end(), t) != add.end();
  });
  if (!d.group_id && !d.assignee_id && !d.priority && add.empty() && remove.empty() && !has_notes)
    return;
  if (!IsDecimalId(ticket.id)) {
    plan.skipped.push_back("zendesk: ticket id '" + ticket.id +
                           "' is not a numeric Zendesk id; no ticket update sent");
    return;
  }

  json::object t;
  if (d.group_id) {
    if (IsDecimalId(*d.group_id)) t["group_id"] = ToInt(*d.group_id);
    else plan.skipped.push_back("zendesk: group id '" + *d.group_id + "' is not numeric; group not set");
  }
  if (d.assignee_id) {
    if (IsDecimalId(*d.assignee_id)) t["assignee_id"] = ToInt(*d.assignee_id);
    else plan.skipped.push_back("zendesk: agent id '" + *d.assignee_id + "' is not numeric; assignee not set");
  }
  if (d.priority) {
    if (std::find(kPriorities.begin(), kPriorities.end(), *d.priority) != kPriorities.end())
      t["priority"] = *d.priority;
    else plan.skipped.push_back("zendesk: priority '" + *d.priority +
                                "' is not one of urgent, high, normal, low; priority not set");
  }
  // Set-like edits that do not race with other changes to the tag list (unlike "tags").
  if (!add.empty()) t["additional_tags"] = ToArray(add);
  if (!remove.empty()) t["remove_tags"] = ToArray(remove);
  if (has_notes) {
    json::object comment;
    comment["body"] = NoteBody(d.notes, EffectMarker(event_key, "zendesk-note"));
    comment["public"] = false;
    t["comment"] = std::move(comment);
  }
  if (t.empty()) return;  // every field was rejected above
  json::object body;
  body["ticket"] = std::move(t);
  Push(plan.calls, "ticket_update", "PUT", "/api/v2/tickets/" + ticket.id, body, event_key);
}

void PlanArticles(const InstanceConfig& config, const DecisionSet& d, std::string_view event_key,
                  CallPlan& plan) {
  if (d.drafts.empty()) return;
  if (!IsDecimalId(config.article_section_id)) {
    plan.skipped.push_back("zendesk: article_section_id is missing or not numeric; " +
                           std::to_string(d.drafts.size()) + " FAQ draft(s) not created");
    return;
  }
  if (!IsDecimalId(config.article_permission_group_id)) {
    plan.skipped.push_back("zendesk: article_permission_group_id is missing or not numeric; " +
                           std::to_string(d.drafts.size()) + " FAQ draft(s) not created");
    return;
  }
  for (size_t i = 0; i < d.drafts.size(); ++i) {
    const FaqDraft& draft = d.drafts[i];
    if (draft.title.empty()) {
      plan.skipped.push_back("zendesk: FAQ draft " + std::to_string(i) + " has no title; not created");
      continue;
    }
    const std::string marker = EffectMarker(event_key, "zendesk-article-" + std::to_string(i));
    json::object a;
    a["title"] = draft.title;
    a["body"] = draft.body_html + "\n<p>" + marker +
                " (drafted by deskhook; review before publishing)</p>";
    a["locale"] = config.article_locale.empty() ? "en-us" : config.article_locale;
    a["permission_group_id"] = ToInt(config.article_permission_group_id);
    // user_segment_id is left out: the spec types it integer (not nullable) and documents
    // "if omitted, the article is public"; a draft is not visible to end users anyway.
    a["draft"] = true;
    const auto labels = UniqueNonEmpty(draft.labels);
    if (!labels.empty()) a["label_names"] = ToArray(labels);
    json::object body;
    body["article"] = std::move(a);
    body["notify_subscribers"] = false;
    Push(plan.calls, "article", "POST",
         "/api/v2/help_center/sections/" + config.article_section_id + "/articles", body, event_key);
  }
}

// The ticket id from "/api/v2/tickets/{id}".
std::string TicketIdFromPath(std::string_view path) {
  constexpr std::string_view kPrefix = "/api/v2/tickets/";
  if (path.substr(0, kPrefix.size()) != kPrefix) return "";
  return std::string(path.substr(kPrefix.size()));
}

}  // namespace

CallPlan PlanZendeskCalls(const InstanceConfig& config, const Ticket& ticket,
                          const DecisionSet& decisions, std::string_view event_key) {
  CallPlan plan;
  PlanTicketUpdate(config, ticket, decisions, event_key, plan);
  PlanArticles(config, decisions, event_key, plan);
  return plan;
}

std::vector<ApiCall> BuildZendeskCalls(const InstanceConfig& config, const Ticket& ticket,
                                       const DecisionSet& decisions, std::string_view event_key) {
  return PlanZendeskCalls(config, ticket, decisions, event_key).calls;
}

std::optional<ApiCall> BuildZendeskEffectCheck(const InstanceConfig& config, const ApiCall& call) {
  if (!FindEffectMarker(call.body)) return std::nullopt;
  ApiCall check;
  check.method = "GET";
  check.headers = {{"Accept", "application/json"}};
  if (call.kind == "ticket_update") {
    const std::string id = TicketIdFromPath(call.path);
    if (!IsDecimalId(id)) return std::nullopt;
    check.kind = "note_check";
    // Newest first: the note, if it was posted, is among the latest comments.
    check.path = "/api/v2/tickets/" + id + "/comments?sort_order=desc";
  } else if (call.kind == "article") {
    check.kind = "article_check";
    const size_t end = call.path.rfind("/articles");
    if (end == std::string::npos) return std::nullopt;
    check.path = call.path.substr(0, end) + "/articles?sort_by=created_at&sort_order=desc";
  } else {
    return std::nullopt;
  }
  check.idempotency_key = CallIdempotencyKey(call.idempotency_key, 0, check.method, check.path, "");
  return check;
}

bool ZendeskNoteAlreadyPresent(std::string_view comments_json, std::string_view marker) {
  boost::system::error_code ec;
  json::value v = json::parse(comments_json, ec);
  if (ec || marker.empty() || !v.is_object()) return false;
  const auto* comments = v.get_object().if_contains("comments");
  if (!comments || !comments->is_array()) return false;
  for (const auto& c : comments->get_array()) {
    if (!c.is_object()) continue;
    for (std::string_view field : {"body", "html_body", "plain_body"}) {
      const auto* f = c.get_object().if_contains(field);
      if (f && f->is_string() && std::string_view(f->get_string()).find(marker) != std::string_view::npos)
        return true;
    }
  }
  return false;
}

std::vector<std::pair<std::string, std::string>> ZendeskAuthHeaders(const InstanceConfig& config) {
  if (!config.oauth_token.empty()) return {{"Authorization", "Bearer " + config.oauth_token}};
  return {{"Authorization",
           "Basic " + common::Base64Encode(config.api_email + "/token:" + config.api_token)}};
}

}  // namespace deskhook
