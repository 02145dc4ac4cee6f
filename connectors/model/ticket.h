// The normalised ticket model shared by every connector, the scripts and the host.
// Connectors translate a platform's webhook body into an InboundEvent; nothing downstream
// looks at platform JSON again (the raw payload is kept for the decision log only).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace deskhook {

enum class AuthorRole { kCustomer, kAgent, kSystem };
std::string_view AuthorRoleName(AuthorRole r);  // "customer", "agent", "system"

struct Message {
  std::string id;          // platform id of the comment / conversation part; may be empty
  AuthorRole role = AuthorRole::kCustomer;
  std::string author_id;
  std::string body;        // plain text (HTML already stripped by the connector)
  int64_t time_ms = 0;     // unix epoch milliseconds; 0 when the platform gave none
  bool is_public = true;   // false for internal notes
};

struct Person {
  std::string id;
  std::string name;
  std::string email;
};

struct Ticket {
  std::string instance;    // connector instance name from the config, e.g. "zendesk-eu"
  std::string platform;    // connector kind: "zendesk", "intercom"
  std::string id;          // ticket / conversation id on the platform (string on every platform)
  std::string subject;
  std::vector<Message> messages;  // what this delivery carries, oldest first
  Person requester;
  Person assignee;
  std::string group_id;    // Zendesk group / Intercom team
  std::string group_name;
  std::vector<std::string> tags;
  std::string priority;    // normalised: "low" | "normal" | "high" | "urgent" | ""
  std::string status;      // platform's word: "new", "open", "pending", "solved", "closed", ...
  std::string channel;     // "email", "web", "chat", "api", ... as the platform says
  std::string url;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
};

enum class EventKind {
  kTicketCreated,    // a customer opened a ticket / conversation
  kCustomerReplied,  // the customer wrote again
  kAgentReplied,     // an agent wrote (public reply)
  kTicketUpdated,    // anything else: tags, assignment, status, notes
  kPing,             // platform test delivery; stored and acknowledged, no scripts run
};
std::string_view EventKindName(EventKind k);  // "ticket_created", "customer_reply", ...

struct InboundEvent {
  EventKind kind = EventKind::kTicketUpdated;
  std::string topic;        // the platform's own event name, e.g. "conversation.user.replied"
  std::string delivery_id;  // platform's delivery / notification id for dedupe; may be empty
  std::string actor_id;     // who caused the change, when the platform says (loop guard)
  Ticket ticket;
};

}  // namespace deskhook
