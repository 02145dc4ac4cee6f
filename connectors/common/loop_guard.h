// Recognising deskhook's own changes when they come back as webhooks (loop guard).
#pragma once

#include <string_view>

#include "connectors/model/ticket.h"

namespace deskhook::common {

// The outbound call builders put this marker in every internal note deskhook posts, so the
// webhook that note triggers can be recognised even when the platform does not say who wrote it.
inline constexpr std::string_view kOwnMarker = "[deskhook]";

// True when the newest message of the delivery was not written by the customer (agent, or an
// author the platform did not name) and carries kOwnMarker. A customer's message never counts,
// so a customer cannot switch automation off by typing the marker.
bool LatestMessageHasOwnMarker(const Ticket& ticket);

}  // namespace deskhook::common
