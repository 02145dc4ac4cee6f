#include "connectors/common/loop_guard.h"

namespace deskhook::common {

bool LatestMessageHasOwnMarker(const Ticket& ticket) {
  if (ticket.messages.empty()) return false;
  const Message& latest = ticket.messages.back();
  if (latest.role == AuthorRole::kCustomer) return false;
  return latest.body.find(kOwnMarker) != std::string::npos;
}

}  // namespace deskhook::common
