// PLACEHOLDER until the Zendesk call builder lands.
#include "connectors/zendesk/zendesk_calls.h"
namespace deskhook {
std::vector<ApiCall> BuildZendeskCalls(const InstanceConfig&, const Ticket&, const DecisionSet&,
                                    std::string_view) {
  return {};
}
}  // namespace deskhook
