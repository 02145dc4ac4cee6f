// PLACEHOLDER until the Intercom connector lands.
#include "connectors/connector.h"
namespace deskhook {
Result<std::unique_ptr<Connector>> MakeIntercomConnector(const InstanceConfig&) {
  return Status::Internal("intercom connector not built yet");
}
}  // namespace deskhook
