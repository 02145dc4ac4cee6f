// PLACEHOLDER until the Zendesk connector lands.
#include "connectors/connector.h"
namespace deskhook {
Result<std::unique_ptr<Connector>> MakeZendeskConnector(const InstanceConfig&) {
  return Status::Internal("zendesk connector not built yet");
}
}  // namespace deskhook
