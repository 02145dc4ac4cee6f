// Builds Zendesk API requests for one event's decisions (the outbound half of the connector).
//
// One event's ticket decisions become ONE `PUT /api/v2/tickets/{id}` (group, assignee, priority,
// additional_tags/remove_tags, one internal comment carrying every note plus an effect marker);
// each FAQ draft becomes one Help Center `POST /api/v2/help_center/sections/{id}/articles`
// with draft:true. Paths carry no ".json" suffix. Ids go out as JSON integers.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/call_common.h"
#include "connectors/connector.h"

namespace deskhook {

// Fewest calls the Zendesk API allows, in send order; empty when there is nothing to do.
std::vector<ApiCall> BuildZendeskCalls(const InstanceConfig& config, const Ticket& ticket,
                                    const DecisionSet& decisions, std::string_view event_key);

// Same calls, plus one line per decision that could not become a call (non-numeric ticket /
// group / agent id, unknown priority, missing Help Center section). Log `skipped`.
CallPlan PlanZendeskCalls(const InstanceConfig& config, const Ticket& ticket,
                          const DecisionSet& decisions, std::string_view event_key);

// Read-only call that tells whether a non-idempotent call's effect already happened:
//   ticket_update with a comment -> GET /api/v2/tickets/{id}/comments?sort_order=desc
//   article                      -> GET /api/v2/help_center/sections/{id}/articles?sort_by=created_at&sort_order=desc
// nullopt for calls that are safe to resend (no note / marker).
std::optional<ApiCall> BuildZendeskEffectCheck(const InstanceConfig& config, const ApiCall& call);

// True when a comment in a List Comments answer carries `marker` ("[deskhook] ref ...").
bool ZendeskNoteAlreadyPresent(std::string_view comments_json, std::string_view marker);

// Authorization header from the instance config: OAuth bearer when oauth_token is set, else
// basic "{api_email}/token:{api_token}". Contains secrets: never log.
std::vector<std::pair<std::string, std::string>> ZendeskAuthHeaders(const InstanceConfig& config);

}  // namespace deskhook
