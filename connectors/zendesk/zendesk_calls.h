// Builds Zendesk API requests for one event's decisions (the outbound half of the connector).
#pragma once

#include <string_view>
#include <vector>

#include "connectors/connector.h"

namespace deskhook {

// Fewest calls the Zendesk API allows, in send order; empty when there is nothing to do.
std::vector<ApiCall> BuildZendeskCalls(const InstanceConfig& config, const Ticket& ticket,
                                    const DecisionSet& decisions, std::string_view event_key);

}  // namespace deskhook
