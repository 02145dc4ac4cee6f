// The public face of a helpdesk connector: verify and parse what the platform sends, and build
// the API calls that carry out decisions. One Connector object per configured instance; it is
// immutable after creation and safe to use from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/model/api_call.h"
#include "connectors/model/decision.h"
#include "connectors/model/headers.h"
#include "connectors/model/status.h"
#include "connectors/model/ticket.h"

namespace deskhook {

// Everything a connector instance needs from the config. Secrets are plain strings here (the host
// resolved ${ENV} / file references); never log this struct.
struct InstanceConfig {
  std::string name;                 // URL segment: POST /hooks/<name>
  std::string kind;                 // "zendesk" | "intercom"
  std::string signing_secret;       // Zendesk webhook signing secret / Intercom app client_secret
  int64_t timestamp_tolerance_s = 300;  // Zendesk: reject signatures older/newer than this

  // Outbound API.
  std::string base_url;             // "https://acme.zendesk.com", "https://api.intercom.io"
  std::string api_email;            // Zendesk API token auth: "{email}/token" : api_token
  std::string api_token;
  std::string oauth_token;          // Zendesk OAuth bearer (instead of email/token)
  std::string access_token;         // Intercom bearer token
  std::string admin_id;             // Intercom: the admin deskhook acts as (also loop guard)
  std::string api_version = "2.14"; // Intercom-Version header
  std::string ca_path;              // custom CA bundle for HTTPS; "" = system default
  int64_t timeout_ms = 10000;

  // Loop guard: deskhook's own updates come back as webhooks. Zendesk: the API user's id.
  std::string self_user_id;

  // FAQ drafts.
  std::string article_section_id;   // Zendesk Help Center section
  std::string article_locale = "en-us";
  std::string article_permission_group_id;
  std::string article_parent_id;    // Intercom collection id
  std::string article_author_id;    // Intercom admin id (integer in the API)
};

class Connector {
 public:
  virtual ~Connector() = default;
  virtual std::string_view kind() const = 0;
  const InstanceConfig& config() const { return config_; }

  // Checks the platform's signature over the exact raw body. `now_s` is unix seconds.
  // Unauthenticated for a missing/bad signature or a stale timestamp; the message never
  // contains the secret or the expected signature.
  virtual Status Verify(const HeaderMap& headers, std::string_view body, int64_t now_s) const = 0;

  // Normalises one delivery. InvalidArgument for malformed JSON or an unknown event shape.
  virtual Result<InboundEvent> Parse(const HeaderMap& headers, std::string_view body) const = 0;

  // Builds the fewest API calls the platform allows for one event's decisions, in send order.
  // `event_key` is stable per stored event and feeds each call's idempotency_key.
  virtual std::vector<ApiCall> BuildCalls(const Ticket& ticket, const DecisionSet& decisions,
                                          std::string_view event_key) const = 0;

  // Authentication (and other per-instance) headers to add when sending. Contains secrets.
  virtual std::vector<std::pair<std::string, std::string>> AuthHeaders() const = 0;

  // True when the event was caused by deskhook's own API calls (loop guard).
  virtual bool IsOwnChange(const InboundEvent& event) const = 0;

  // Ambiguous failures (timeout or reset after the request may have reached the platform):
  // before re-sending `call`, the outbox sends this read-only call when it is not nullopt and
  // asks EffectPresent(call, <2xx answer body>). True means the effect is already in place:
  // mark the call done instead of sending it again. nullopt means re-sending is harmless (the
  // call is idempotent: tags, assignment, priority) or no check exists.
  // Defaults: no check. Zendesk/Intercom implementations: BuildZendeskEffectCheck /
  // BuildIntercomEffectCheck and EffectPresentInResponse (connectors/*_calls.h, call_common.h).
  virtual std::optional<ApiCall> BuildEffectCheck(const ApiCall& call) const { return std::nullopt; }
  virtual bool EffectPresent(const ApiCall& call, std::string_view check_response) const {
    return false;
  }
  // True when a non-2xx `status` to `call` still means the call's effect is in place (Intercom:
  // removing a tag the conversation does not have answers 404). The outbox marks it done
  // instead of dead-lettering it. Default: no such answers.
  virtual bool AnswerMeansDone(const ApiCall& call, int status) const { return false; }

 protected:
  explicit Connector(InstanceConfig config) : config_(std::move(config)) {}

 private:
  InstanceConfig config_;
};

// REQUIRES: config.kind is a known kind. InvalidArgument names the missing field otherwise.
Result<std::unique_ptr<Connector>> MakeConnector(const InstanceConfig& config);

// The kinds MakeConnector knows, for config validation and `deskhook --help`.
std::vector<std::string_view> ConnectorKinds();

}  // namespace deskhook
