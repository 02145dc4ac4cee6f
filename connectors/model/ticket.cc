#include "connectors/model/ticket.h"

namespace deskhook {

std::string_view AuthorRoleName(AuthorRole r) {
  switch (r) {
    case AuthorRole::kCustomer: return "customer";
    case AuthorRole::kAgent: return "agent";
    case AuthorRole::kSystem: return "system";
  }
  return "system";
}

std::string_view EventKindName(EventKind k) {
  switch (k) {
    case EventKind::kTicketCreated: return "ticket_created";
    case EventKind::kCustomerReplied: return "customer_reply";
    case EventKind::kAgentReplied: return "agent_reply";
    case EventKind::kTicketUpdated: return "ticket_updated";
    case EventKind::kPing: return "ping";
  }
  return "ticket_updated";
}

}  // namespace deskhook
