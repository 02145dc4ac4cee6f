// The Zendesk connector: one instance per configured Zendesk account.
#pragma once

#include <memory>

#include "connectors/connector.h"

namespace deskhook {

// REQUIRES: config.kind == "zendesk". InvalidArgument naming the field when a required field is
// missing or inconsistent: signing_secret is required; api_email and api_token come together;
// timestamp_tolerance_s > 0; base_url, when given, is http(s).
Result<std::unique_ptr<Connector>> MakeZendeskConnector(const InstanceConfig& config);

}  // namespace deskhook
