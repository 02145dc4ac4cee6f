// PLACEHOLDER until the Intercom call builder lands.
#include "connectors/intercom/intercom_calls.h"
namespace deskhook {
std::vector<ApiCall> BuildIntercomCalls(const InstanceConfig&, const Ticket&, const DecisionSet&,
                                    std::string_view) {
  return {};
}
}  // namespace deskhook
