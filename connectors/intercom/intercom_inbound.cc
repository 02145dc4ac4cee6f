#include "connectors/intercom/intercom_inbound.h"

#include <exception>

#include "connectors/common/crypto.h"
#include "connectors/common/json_util.h"
#include "connectors/common/loop_guard.h"
#include "connectors/common/text.h"

namespace deskhook {

namespace json = boost::json;
using common::ObjectAt;
using common::TextAt;

std::string SignIntercom(std::string_view secret, std::string_view body) {
  return "sha1=" + common::HexEncode(common::HmacSha1(secret, body));
}

Status VerifyIntercomSignature(std::string_view secret, const HeaderMap& headers, std::string_view body) {
  std::string_view header = common::Trim(headers.Get(kIntercomSignatureHeader));
  if (header.empty()) return Status::Unauthenticated("missing X-Hub-Signature header");
  constexpr std::string_view kPrefix = "sha1=";
  if (header.size() <= kPrefix.size() || common::ToLower(header.substr(0, kPrefix.size())) != kPrefix) {
    return Status::Unauthenticated("X-Hub-Signature must be \"sha1=<hex>\"");
  }
  std::string given = common::ToLower(header.substr(kPrefix.size()));
  std::string expected = common::HexEncode(common::HmacSha1(secret, body));
  if (expected.empty()) return Status::Internal("HMAC-SHA1 unavailable");
  if (!common::ConstantTimeEquals(expected, given)) return Status::Unauthenticated("signature mismatch");
  return Status::Ok();
}

namespace {

int64_t EpochSecondsToMs(const json::object* obj, std::string_view key) {
  return common::IntAt(obj, key).value_or(0) * 1000;
}

bool IsCustomerType(std::string_view type) {
  return type == "user" || type == "lead" || type == "contact";
}

AuthorRole RoleOf(const json::object* author) {
  std::string type = TextAt(author, "type");
  if (IsCustomerType(type)) return AuthorRole::kCustomer;
  if (type == "admin" || type == "bot" || type == "team") return AuthorRole::kAgent;
  return AuthorRole::kSystem;
}

EventKind KindOfTopic(std::string_view topic) {
  if (topic == "ping") return EventKind::kPing;
  if (topic == "conversation.user.created") return EventKind::kTicketCreated;
  if (topic == "conversation.user.replied") return EventKind::kCustomerReplied;
  if (topic == "conversation.admin.replied") return EventKind::kAgentReplied;
  return EventKind::kTicketUpdated;
}

// Parts that only teammates see: notes, and the note an admin leaves when assigning.
bool IsInternalPart(std::string_view part_type) {
  return part_type.find("note") != std::string_view::npos ||
         part_type.find("assignment") != std::string_view::npos;
}

void FillConversation(const json::object& item, InboundEvent* ev) {
  Ticket& tk = ev->ticket;
  tk.id = TextAt(&item, "id");
  const json::object* source = ObjectAt(&item, "source");
  tk.subject = common::HtmlToText(TextAt(&item, "title"));
  if (tk.subject.empty()) tk.subject = common::HtmlToText(TextAt(source, "subject"));
  tk.created_at_ms = EpochSecondsToMs(&item, "created_at");
  tk.updated_at_ms = EpochSecondsToMs(&item, "updated_at");
  tk.status = TextAt(&item, "state");
  if (tk.status.empty()) {
    std::optional<bool> open = common::BoolAt(&item, "open");
    if (open) tk.status = *open ? "open" : "closed";
  }
  tk.priority = TextAt(&item, "priority") == "priority" ? "high" : "";
  tk.assignee.id = TextAt(&item, "admin_assignee_id");
  tk.group_id = TextAt(&item, "team_assignee_id");
  if (const json::array* tags = common::ArrayAt(ObjectAt(&item, "tags"), "tags")) {
    for (const auto& tag : *tags) {
      std::string name = TextAt(tag.if_object(), "name");
      if (!name.empty()) tk.tags.push_back(std::move(name));
    }
  }
  std::string source_type = TextAt(source, "type");
  tk.channel = source_type == "conversation" ? "chat" : source_type;
  tk.url = TextAt(source, "url");

  // Requester: the author of the opening message when a customer wrote it, else the first contact.
  const json::object* source_author = ObjectAt(source, "author");
  if (IsCustomerType(TextAt(source_author, "type"))) {
    tk.requester.id = TextAt(source_author, "id");
    tk.requester.name = TextAt(source_author, "name");
    tk.requester.email = TextAt(source_author, "email");
  } else if (const json::array* contacts = common::ArrayAt(ObjectAt(&item, "contacts"), "contacts");
             contacts != nullptr && !contacts->empty()) {
    tk.requester.id = TextAt(contacts->at(0).if_object(), "id");
  }

  if (std::string text = common::HtmlToText(TextAt(source, "body")); !text.empty()) {
    Message m;
    m.id = TextAt(source, "id");
    m.role = RoleOf(source_author);
    m.author_id = TextAt(source_author, "id");
    m.body = std::move(text);
    m.time_ms = tk.created_at_ms;
    tk.messages.push_back(std::move(m));
  }

  const json::array* parts =
      common::ArrayAt(ObjectAt(&item, "conversation_parts"), "conversation_parts");
  if (parts == nullptr) return;
  const json::object* latest_author = nullptr;
  for (const auto& pv : *parts) {
    const json::object* part = pv.if_object();
    if (part == nullptr) continue;
    const json::object* author = ObjectAt(part, "author");
    latest_author = author;
    std::string text = common::HtmlToText(TextAt(part, "body"));
    if (text.empty()) continue;  // state changes, tag parts without text
    Message m;
    m.id = TextAt(part, "id");
    m.role = RoleOf(author);
    m.author_id = TextAt(author, "id");
    m.body = std::move(text);
    m.time_ms = EpochSecondsToMs(part, "created_at");
    m.is_public = !IsInternalPart(TextAt(part, "part_type"));
    tk.messages.push_back(std::move(m));
  }
  // The actor is the teammate behind the latest part (used by the loop guard).
  if (latest_author != nullptr && RoleOf(latest_author) == AuthorRole::kAgent) {
    ev->actor_id = TextAt(latest_author, "id");
  }
}

}  // namespace

static Result<InboundEvent> ParseIntercomDeliveryUnguarded(const InstanceConfig& config,
                                                           const HeaderMap& headers,
                                                           std::string_view body) {
  if (common::Trim(body).empty()) return Status::InvalidArgument("empty body");
  Result<json::object> parsed = common::ParseJsonObject(body);
  if (!parsed.ok()) return parsed.status();
  const json::object& root = parsed.value();
  if (TextAt(&root, "type") != "notification_event") {
    return Status::InvalidArgument("unknown intercom payload shape (expected type notification_event)");
  }
  InboundEvent ev;
  ev.topic = TextAt(&root, "topic");
  if (ev.topic.empty()) return Status::InvalidArgument("intercom notification has no topic");
  bool conversation_topic =
      ev.topic.rfind("conversation.", 0) == 0 || ev.topic.rfind("conversation_part.", 0) == 0;
  if (ev.topic != "ping" && !conversation_topic) {
    return Status::InvalidArgument("unsupported intercom topic (only ping and conversation topics)");
  }
  ev.kind = KindOfTopic(ev.topic);
  ev.delivery_id = TextAt(&root, "id");
  ev.ticket.instance = config.name;
  ev.ticket.platform = "intercom";
  if (ev.kind == EventKind::kPing) return ev;

  const json::object* item = ObjectAt(ObjectAt(&root, "data"), "item");
  if (item == nullptr) return Status::InvalidArgument("intercom notification has no data.item object");
  std::string item_type = TextAt(item, "type");
  if (!item_type.empty() && item_type != "conversation") {
    return Status::InvalidArgument("intercom conversation topic without a conversation item");
  }
  FillConversation(*item, &ev);
  if (ev.ticket.id.empty()) return Status::InvalidArgument("intercom conversation has no id");
  return ev;
}

// The edge where parsing exceptions stop (e.g. std::bad_alloc on a huge body): none escapes.
Result<InboundEvent> ParseIntercomDelivery(const InstanceConfig& config, const HeaderMap& headers,
                                           std::string_view body) {
  try {
    return ParseIntercomDeliveryUnguarded(config, headers, body);
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("intercom payload could not be parsed: ") + e.what());
  }
}

bool IsIntercomOwnChange(const InstanceConfig& config, const InboundEvent& event) {
  if (!config.admin_id.empty() && event.actor_id == config.admin_id) return true;
  return common::LatestMessageHasOwnMarker(event.ticket);
}

}  // namespace deskhook
