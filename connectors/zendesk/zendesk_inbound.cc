#include "connectors/zendesk/zendesk_inbound.h"

#include <exception>

#include "connectors/common/crypto.h"
#include "connectors/common/json_util.h"
#include "connectors/common/loop_guard.h"
#include "connectors/common/text.h"

namespace deskhook {

namespace json = boost::json;
using common::ObjectAt;
using common::TextAt;

std::string SignZendesk(std::string_view secret, std::string_view timestamp, std::string_view body) {
  return common::Base64Encode(common::HmacSha256Concat(secret, timestamp, body));
}

Status VerifyZendeskSignature(std::string_view secret, int64_t tolerance_s, const HeaderMap& headers,
                              std::string_view body, int64_t now_s) {
  std::string_view signature = common::Trim(headers.Get(kZendeskSignatureHeader));
  std::string_view timestamp = common::Trim(headers.Get(kZendeskTimestampHeader));
  if (signature.empty()) return Status::Unauthenticated("missing X-Zendesk-Webhook-Signature header");
  if (timestamp.empty()) {
    return Status::Unauthenticated("missing X-Zendesk-Webhook-Signature-Timestamp header");
  }
  std::optional<int64_t> ts_ms = common::ParseIso8601Ms(timestamp);
  if (!ts_ms) return Status::Unauthenticated("malformed X-Zendesk-Webhook-Signature-Timestamp header");
  int64_t skew_s = now_s - *ts_ms / 1000;
  if (skew_s > tolerance_s || -skew_s > tolerance_s) {
    return Status::Unauthenticated("stale timestamp: signature time is outside the allowed window");
  }
  // The header value as received is what Zendesk signed (it is not re-rendered).
  std::string expected = SignZendesk(secret, headers.Get(kZendeskTimestampHeader), body);
  if (expected.empty()) return Status::Internal("HMAC-SHA256 unavailable");
  if (!common::ConstantTimeEquals(expected, signature)) {
    return Status::Unauthenticated("signature mismatch");
  }
  return Status::Ok();
}

namespace {

int64_t IsoMs(std::string_view text) { return common::ParseIso8601Ms(text).value_or(0); }

std::string LowerStatus(std::string_view s) { return common::ToLower(common::Trim(s)); }

// Trigger `{{ticket.via}}` renders a display name ("Mail", "Web Form"); use the event schema's
// channel words where one exists.
std::string ChannelFromVia(std::string_view via) {
  std::string v = common::ToLower(common::Trim(via));
  if (v == "mail" || v == "email") return "email";
  if (v == "web form" || v == "web" || v == "web_form") return "web";
  if (v == "web service" || v == "api") return "api";
  for (char& c : v) {
    if (c == ' ') c = '_';
  }
  return v;
}

Person PersonFrom(const json::object* obj) {
  Person p;
  p.id = TextAt(obj, "id");
  p.name = TextAt(obj, "name");
  p.email = TextAt(obj, "email");
  return p;
}

std::string WithScheme(std::string url) {
  if (!url.empty() && url.find("://") == std::string::npos) url.insert(0, "https://");
  return url;
}

Result<InboundEvent> ParseTrigger(const json::object& root) {
  const json::object* t = ObjectAt(&root, "ticket");
  if (t == nullptr) return Status::InvalidArgument("zendesk trigger body has no \"ticket\" object");
  InboundEvent ev;
  ev.topic = TextAt(&root, "event");
  if (ev.topic.rfind("ticket.", 0) != 0) {
    return Status::InvalidArgument("zendesk trigger body: unknown \"event\" (expected ticket.*)");
  }
  Ticket& tk = ev.ticket;
  tk.id = std::string(common::Trim(TextAt(t, "id")));
  if (tk.id.empty()) return Status::InvalidArgument("zendesk trigger body: ticket.id is missing");
  tk.subject = TextAt(t, "subject");
  tk.status = LowerStatus(TextAt(t, "status"));
  tk.priority = common::NormalizePriority(TextAt(t, "priority"));
  if (const json::value* tags = common::Member(t, "tags"); tags != nullptr && tags->is_array()) {
    for (const auto& tag : tags->get_array()) tk.tags.push_back(common::ScalarText(&tag));
  } else {
    tk.tags = common::SplitWhitespace(common::ScalarText(tags));
  }
  tk.channel = ChannelFromVia(TextAt(t, "via"));
  tk.created_at_ms = IsoMs(TextAt(t, "created_at"));
  tk.updated_at_ms = IsoMs(TextAt(t, "updated_at"));
  tk.url = WithScheme(TextAt(t, "url"));
  tk.requester = PersonFrom(ObjectAt(t, "requester"));
  tk.assignee = PersonFrom(ObjectAt(t, "assignee"));
  const json::object* group = ObjectAt(t, "group");
  tk.group_id = TextAt(group, "id");
  tk.group_name = TextAt(group, "name");

  // Who made this change, when the template carries {{current_user.*}}.
  Person current;
  std::string current_role;
  if (const json::object* cu = ObjectAt(&root, "current_user")) {
    current = PersonFrom(cu);
    current_role = common::ToLower(TextAt(cu, "role"));
  } else {
    current.id = TextAt(&root, "current_user");
  }
  ev.actor_id = current.id;

  if (ev.topic == "ticket.created") ev.kind = EventKind::kTicketCreated;
  else if (ev.topic == "ticket.customer_replied") ev.kind = EventKind::kCustomerReplied;
  else if (ev.topic == "ticket.agent_replied") ev.kind = EventKind::kAgentReplied;
  else ev.kind = EventKind::kTicketUpdated;

  // The description is the ticket's first comment, written by the requester.
  std::string description = TextAt(t, "description");
  std::string latest = TextAt(t, "latest_comment");
  if (!common::Trim(description).empty()) {
    Message m;
    m.role = AuthorRole::kCustomer;
    m.author_id = tk.requester.id;
    m.body = description;
    m.time_ms = tk.created_at_ms;
    tk.messages.push_back(std::move(m));
  }
  if (!common::Trim(latest).empty() && latest != description) {
    Message m;
    m.body = latest;
    m.time_ms = tk.updated_at_ms;
    m.author_id = current.id;
    if (ev.kind == EventKind::kCustomerReplied) {
      m.role = AuthorRole::kCustomer;
      if (m.author_id.empty()) m.author_id = tk.requester.id;
    } else if (ev.kind == EventKind::kAgentReplied) {
      m.role = AuthorRole::kAgent;
    } else if (current_role == "end-user" || current_role == "end_user" ||
               (!current.id.empty() && current.id == tk.requester.id)) {
      m.role = AuthorRole::kCustomer;
    } else if (!current.id.empty() || current_role == "agent" || current_role == "admin") {
      m.role = AuthorRole::kAgent;
    } else {
      // A generic update whose template names no author: do not guess (an agent's words
      // attributed to the customer would skew their sentiment).
      m.role = AuthorRole::kSystem;
    }
    std::string is_public = common::ToLower(TextAt(t, "latest_comment_public"));
    m.is_public = is_public != "false";
    tk.messages.push_back(std::move(m));
  }
  return ev;
}

Result<InboundEvent> ParseEventSubscribed(const json::object& root, std::string_view type) {
  constexpr std::string_view kPrefix = "zen:event-type:";
  std::string_view name = type.substr(kPrefix.size());
  if (name.rfind("ticket.", 0) != 0) {
    return Status::InvalidArgument("unsupported zendesk event type (only ticket events)");
  }
  const json::object* d = ObjectAt(&root, "detail");
  if (d == nullptr) return Status::InvalidArgument("zendesk event has no \"detail\" object");
  InboundEvent ev;
  ev.topic = std::string(name);
  ev.actor_id = TextAt(d, "actor_id");
  Ticket& tk = ev.ticket;
  tk.id = TextAt(d, "id");
  if (tk.id.empty()) {
    std::string subject = TextAt(&root, "subject");  // "zen:ticket:<id>"
    constexpr std::string_view kTicketPrefix = "zen:ticket:";
    if (subject.rfind(kTicketPrefix, 0) == 0) tk.id = subject.substr(kTicketPrefix.size());
  }
  if (tk.id.empty()) return Status::InvalidArgument("zendesk event: detail.id is missing");
  tk.subject = TextAt(d, "subject");
  tk.status = LowerStatus(TextAt(d, "status"));
  tk.priority = common::NormalizePriority(TextAt(d, "priority"));
  if (const json::array* tags = common::ArrayAt(d, "tags")) {
    for (const auto& tag : *tags) tk.tags.push_back(common::ScalarText(&tag));
  }
  tk.channel = common::ToLower(TextAt(ObjectAt(d, "via"), "channel"));
  tk.created_at_ms = IsoMs(TextAt(d, "created_at"));
  tk.updated_at_ms = IsoMs(TextAt(d, "updated_at"));
  tk.requester.id = TextAt(d, "requester_id");
  tk.assignee.id = TextAt(d, "assignee_id");
  tk.group_id = TextAt(d, "group_id");

  const json::object* event = ObjectAt(&root, "event");
  if (name == "ticket.created") {
    ev.kind = EventKind::kTicketCreated;
    std::string description = TextAt(d, "description");
    if (!common::Trim(description).empty()) {
      Message m;
      m.role = AuthorRole::kCustomer;
      m.author_id = tk.requester.id;
      m.body = std::move(description);
      m.time_ms = tk.created_at_ms;
      tk.messages.push_back(std::move(m));
    }
  } else if (const json::object* comment = ObjectAt(event, "comment")) {
    // ticket.comment_added: event.comment {id, body, is_public, author {id, is_staff, name}}.
    const json::object* author = ObjectAt(comment, "author");
    Message m;
    m.id = TextAt(comment, "id");
    m.author_id = TextAt(author, "id");
    m.body = TextAt(comment, "body");
    m.is_public = common::BoolAt(comment, "is_public").value_or(true);
    m.time_ms = IsoMs(TextAt(&root, "time"));
    if (m.time_ms == 0) m.time_ms = tk.updated_at_ms;
    bool staff = common::BoolAt(author, "is_staff").value_or(false);
    m.role = staff ? AuthorRole::kAgent : AuthorRole::kCustomer;
    if (staff) {
      ev.kind = m.is_public ? EventKind::kAgentReplied : EventKind::kTicketUpdated;
    } else {
      ev.kind = EventKind::kCustomerReplied;
    }
    if (ev.actor_id.empty()) ev.actor_id = m.author_id;
    tk.messages.push_back(std::move(m));
  } else {
    ev.kind = EventKind::kTicketUpdated;
  }
  return ev;
}

}  // namespace

static Result<InboundEvent> ParseZendeskDeliveryUnguarded(const InstanceConfig& config,
                                                          const HeaderMap& headers,
                                                          std::string_view body) {
  if (common::Trim(body).empty()) return Status::InvalidArgument("empty body");
  Result<json::object> parsed = common::ParseJsonObject(body);
  if (!parsed.ok()) return parsed.status();
  const json::object& root = parsed.value();

  Result<InboundEvent> ev = Status::InvalidArgument("unknown zendesk payload shape");
  std::string type = TextAt(&root, "type");
  if (TextAt(&root, "source") == "zendesk-trigger") {
    ev = ParseTrigger(root);
  } else if (type.rfind("zen:event-type:", 0) == 0) {
    ev = ParseEventSubscribed(root, type);
  } else {
    return Status::InvalidArgument(
        "unknown zendesk payload shape (expected deskhook's trigger body or a zen:event-type event)");
  }
  if (!ev.ok()) return ev;
  ev->ticket.instance = config.name;
  ev->ticket.platform = "zendesk";
  ev->delivery_id = std::string(common::Trim(headers.Get(kZendeskInvocationHeader)));
  if (ev->delivery_id.empty()) ev->delivery_id = TextAt(&root, "id");
  return ev;
}

// The edge where parsing exceptions stop (e.g. std::bad_alloc on a huge body): none escapes.
Result<InboundEvent> ParseZendeskDelivery(const InstanceConfig& config, const HeaderMap& headers,
                                          std::string_view body) {
  try {
    return ParseZendeskDeliveryUnguarded(config, headers, body);
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("zendesk payload could not be parsed: ") + e.what());
  }
}

bool IsZendeskOwnChange(const InstanceConfig& config, const InboundEvent& event) {
  if (!config.self_user_id.empty() && event.actor_id == config.self_user_id) return true;
  return common::LatestMessageHasOwnMarker(event.ticket);
}

}  // namespace deskhook
