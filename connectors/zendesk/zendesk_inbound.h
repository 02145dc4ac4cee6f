// The inbound half of the Zendesk connector: signature check and normalisation of the two
// webhook body shapes (deskhook's own trigger template and Zendesk's event-subscribed schema).
// Pure functions of their arguments; thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "connectors/connector.h"

namespace deskhook {

inline constexpr std::string_view kZendeskSignatureHeader = "X-Zendesk-Webhook-Signature";
inline constexpr std::string_view kZendeskTimestampHeader = "X-Zendesk-Webhook-Signature-Timestamp";
inline constexpr std::string_view kZendeskInvocationHeader = "X-Zendesk-Webhook-Invocation-Id";

// base64(HMAC-SHA256(secret, TIMESTAMP + BODY)) as the current Zendesk docs specify (the older
// BODY + TIMESTAMP order of a legacy doc example is deliberately not accepted). The timestamp
// header (ISO 8601) must lie within `tolerance_s` of `now_s` either way.
// Unauthenticated on failure; messages name the header or "stale timestamp", never the secret
// or the expected signature.
Status VerifyZendeskSignature(std::string_view secret, int64_t tolerance_s, const HeaderMap& headers,
                              std::string_view body, int64_t now_s);

// The signature Zendesk would send (for tests, load generators and the stand-in helpdesk).
std::string SignZendesk(std::string_view secret, std::string_view timestamp, std::string_view body);

// Trigger bodies: {"source":"zendesk-trigger","event":"ticket.created"|"ticket.updated"|
// "ticket.customer_replied"|"ticket.agent_replied"|"ticket.<other>","ticket":{...}} with every
// value a string (placeholders render as text), tags space-separated, optional "current_user"
// ({"id","name","email","role"} or an id string) naming who made the change.
// Event-subscribed bodies: {"type":"zen:event-type:ticket.<x>","id","detail":{...},"event":{...}}.
// InvalidArgument for malformed JSON, non-ticket events and unknown shapes.
Result<InboundEvent> ParseZendeskDelivery(const InstanceConfig& config, const HeaderMap& headers,
                                          std::string_view body);

// Loop guard: the change was made by config.self_user_id (the API user deskhook acts as), or
// the newest non-customer message carries deskhook's note marker.
bool IsZendeskOwnChange(const InstanceConfig& config, const InboundEvent& event);

}  // namespace deskhook
