// `deskhook install intercom`: Intercom has no REST endpoint for webhook subscriptions (they
// belong to an app in the Developer Hub), so install prints the exact steps instead.
#pragma once

#include <string>
#include <string_view>

#include "connectors/connector.h"

namespace deskhook {

// Step-by-step Developer Hub instructions for connecting `config.name` at public_url, ending
// with the config lines to add. Contains no secrets.
std::string IntercomInstallSteps(const InstanceConfig& config, std::string_view public_url);
// How to disconnect again (delete the webhook topics / the app).
std::string IntercomUninstallSteps(const InstanceConfig& config);

}  // namespace deskhook
