#include "connectors/intercom/intercom_connector.h"

#include "connectors/call_common.h"
#include "connectors/common/config_check.h"
#include "connectors/intercom/intercom_calls.h"
#include "connectors/intercom/intercom_inbound.h"

namespace deskhook {
namespace {

class IntercomConnector final : public Connector {
 public:
  explicit IntercomConnector(InstanceConfig config) : Connector(std::move(config)) {}

  std::string_view kind() const override { return "intercom"; }

  // Intercom signs no timestamp; `now_s` is unused.
  Status Verify(const HeaderMap& headers, std::string_view body, int64_t /*now_s*/) const override {
    return VerifyIntercomSignature(config().signing_secret, headers, body);
  }

  Result<InboundEvent> Parse(const HeaderMap& headers, std::string_view body) const override {
    return ParseIntercomDelivery(config(), headers, body);
  }

  std::vector<ApiCall> BuildCalls(const Ticket& ticket, const DecisionSet& decisions,
                                  std::string_view event_key) const override {
    return BuildIntercomCalls(config(), ticket, decisions, event_key);
  }

  std::vector<std::pair<std::string, std::string>> AuthHeaders() const override {
    std::vector<std::pair<std::string, std::string>> h;
    if (!config().access_token.empty()) {
      h.emplace_back("Authorization", "Bearer " + config().access_token);
    }
    h.emplace_back("Intercom-Version", config().api_version);
    h.emplace_back("Accept", "application/json");
    h.emplace_back("Content-Type", "application/json");
    return h;
  }

  std::optional<ApiCall> BuildEffectCheck(const ApiCall& call) const override {
    return BuildIntercomEffectCheck(config(), call);
  }
  bool EffectPresent(const ApiCall& call, std::string_view check_response) const override {
    return EffectPresentInResponse(call, check_response);
  }
  // Removing a tag the conversation does not carry answers 404 ("Tag not found"): the tag is
  // absent, which is what the call wanted.
  bool AnswerMeansDone(const ApiCall& call, int status) const override {
    return call.kind == "untag" && status == 404;
  }

  bool IsOwnChange(const InboundEvent& event) const override {
    return IsIntercomOwnChange(config(), event);
  }
};

}  // namespace

Result<std::unique_ptr<Connector>> MakeIntercomConnector(const InstanceConfig& config) {
  if (Status s = common::CheckCommonConfig(config); !s.ok()) return s;
  if (config.api_version.empty()) {
    return Status::InvalidArgument("connectors[" + config.name + "].api_version is required");
  }
  InstanceConfig c = config;
  if (c.base_url.empty()) c.base_url = "https://api.intercom.io";
  return std::unique_ptr<Connector>(new IntercomConnector(std::move(c)));
}

}  // namespace deskhook
