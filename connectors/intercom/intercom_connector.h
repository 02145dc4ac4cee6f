// The Intercom connector: one instance per configured Intercom app/workspace.
#pragma once

#include <memory>

#include "connectors/connector.h"

namespace deskhook {

// REQUIRES: config.kind == "intercom". InvalidArgument naming the field when signing_secret (the
// app's client_secret) is missing or base_url is not http(s). base_url defaults to
// https://api.intercom.io.
Result<std::unique_ptr<Connector>> MakeIntercomConnector(const InstanceConfig& config);

}  // namespace deskhook
