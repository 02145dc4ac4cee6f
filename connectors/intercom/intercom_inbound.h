// The inbound half of the Intercom connector: X-Hub-Signature check and normalisation of the
// notification_event envelope. Pure functions of their arguments; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "connectors/connector.h"

namespace deskhook {

inline constexpr std::string_view kIntercomSignatureHeader = "X-Hub-Signature";

// "sha1=" + lowercase hex(HMAC-SHA1(client_secret, body)). Intercom signs no timestamp, so
// replays are caught by delivery-id dedupe, not here. A value without the "sha1=" prefix is
// rejected. Unauthenticated on failure; messages never contain the secret or the expected value.
Status VerifyIntercomSignature(std::string_view secret, const HeaderMap& headers, std::string_view body);

// The header value Intercom would send (for tests, load generators and the stand-in helpdesk).
std::string SignIntercom(std::string_view secret, std::string_view body);

// {"type":"notification_event","topic":...,"id":"notif_...","data":{"item":{...}}}.
// Topics: ping -> kPing; conversation.user.created -> kTicketCreated; conversation.user.replied
// -> kCustomerReplied; conversation.admin.replied -> kAgentReplied; other conversation.* and
// conversation_part.* -> kTicketUpdated. Other topics, malformed JSON and other shapes:
// InvalidArgument. Messages: source.body then each conversation part with a body, HTML to text.
Result<InboundEvent> ParseIntercomDelivery(const InstanceConfig& config, const HeaderMap& headers,
                                           std::string_view body);

// Loop guard: the latest conversation part was written by config.admin_id (the admin deskhook
// acts as), or the newest non-customer message carries deskhook's note marker.
bool IsIntercomOwnChange(const InstanceConfig& config, const InboundEvent& event);

}  // namespace deskhook
