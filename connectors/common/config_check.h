// Config checks every connector kind shares.
#pragma once

#include "connectors/connector.h"

namespace deskhook::common {

// name is non-empty; signing_secret is non-empty ("connectors[<name>].signing_secret is
// required"); base_url, when given, starts with http:// or https://; timeout_ms > 0.
Status CheckCommonConfig(const InstanceConfig& config);

}  // namespace deskhook::common
