#include "connectors/connector.h"

namespace deskhook {

// Defined in connectors/zendesk and connectors/intercom.
Result<std::unique_ptr<Connector>> MakeZendeskConnector(const InstanceConfig& config);
Result<std::unique_ptr<Connector>> MakeIntercomConnector(const InstanceConfig& config);

std::vector<std::string_view> ConnectorKinds() { return {"zendesk", "intercom"}; }

Result<std::unique_ptr<Connector>> MakeConnector(const InstanceConfig& config) {
  if (config.kind == "zendesk") return MakeZendeskConnector(config);
  if (config.kind == "intercom") return MakeIntercomConnector(config);
  return Status::InvalidArgument("connectors[" + config.name + "].kind: unknown kind '" +
                                 config.kind + "' (expected zendesk or intercom)");
}

}  // namespace deskhook
