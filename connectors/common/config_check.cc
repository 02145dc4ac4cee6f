#include "connectors/common/config_check.h"

namespace deskhook::common {

Status CheckCommonConfig(const InstanceConfig& config) {
  if (config.name.empty()) return Status::InvalidArgument("connectors[].name is required");
  const std::string field = "connectors[" + config.name + "].";
  if (config.signing_secret.empty()) return Status::InvalidArgument(field + "signing_secret is required");
  if (!config.base_url.empty() && config.base_url.rfind("http://", 0) != 0 &&
      config.base_url.rfind("https://", 0) != 0) {
    return Status::InvalidArgument(field + "base_url must start with http:// or https://");
  }
  if (config.timeout_ms <= 0) return Status::InvalidArgument(field + "timeout_ms must be positive");
  return Status::Ok();
}

}  // namespace deskhook::common
