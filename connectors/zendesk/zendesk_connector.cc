#include "connectors/zendesk/zendesk_connector.h"

#include "connectors/call_common.h"
#include "connectors/common/config_check.h"
#include "connectors/common/crypto.h"
#include "connectors/zendesk/zendesk_calls.h"
#include "connectors/zendesk/zendesk_inbound.h"

namespace deskhook {
namespace {

class ZendeskConnector final : public Connector {
 public:
  explicit ZendeskConnector(InstanceConfig config) : Connector(std::move(config)) {}

  std::string_view kind() const override { return "zendesk"; }

  Status Verify(const HeaderMap& headers, std::string_view body, int64_t now_s) const override {
    return VerifyZendeskSignature(config().signing_secret, config().timestamp_tolerance_s, headers,
                                  body, now_s);
  }

  Result<InboundEvent> Parse(const HeaderMap& headers, std::string_view body) const override {
    return ParseZendeskDelivery(config(), headers, body);
  }

  std::vector<ApiCall> BuildCalls(const Ticket& ticket, const DecisionSet& decisions,
                                  std::string_view event_key) const override {
    return BuildZendeskCalls(config(), ticket, decisions, event_key);
  }

  // OAuth bearer when configured, else API token basic auth ("{email}/token:{token}").
  std::vector<std::pair<std::string, std::string>> AuthHeaders() const override {
    std::vector<std::pair<std::string, std::string>> h;
    if (!config().oauth_token.empty()) {
      h.emplace_back("Authorization", "Bearer " + config().oauth_token);
    } else if (!config().api_email.empty()) {
      h.emplace_back("Authorization",
                     "Basic " + common::Base64Encode(config().api_email + "/token:" + config().api_token));
    }
    h.emplace_back("Accept", "application/json");
    return h;
  }

  std::optional<ApiCall> BuildEffectCheck(const ApiCall& call) const override {
    return BuildZendeskEffectCheck(config(), call);
  }
  bool EffectPresent(const ApiCall& call, std::string_view check_response) const override {
    return EffectPresentInResponse(call, check_response);
  }

  bool IsOwnChange(const InboundEvent& event) const override {
    return IsZendeskOwnChange(config(), event);
  }
};

}  // namespace

Result<std::unique_ptr<Connector>> MakeZendeskConnector(const InstanceConfig& config) {
  if (Status s = common::CheckCommonConfig(config); !s.ok()) return s;
  const std::string field = "connectors[" + config.name + "].";
  if (config.api_email.empty() != config.api_token.empty()) {
    return Status::InvalidArgument(field + (config.api_email.empty() ? "api_email" : "api_token") +
                                   " is required when " +
                                   (config.api_email.empty() ? "api_token" : "api_email") + " is set");
  }
  if (config.timestamp_tolerance_s <= 0) {
    return Status::InvalidArgument(field + "timestamp_tolerance_s must be positive");
  }
  return std::unique_ptr<Connector>(new ZendeskConnector(config));
}

}  // namespace deskhook
