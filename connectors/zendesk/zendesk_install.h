// `deskhook install zendesk` / `deskhook uninstall zendesk`: creates (or removes) the webhook,
// a trigger category and two triggers through Zendesk's API so that Zendesk sends ticket events
// to deskhook. Everything deskhook creates is named after the instance ("deskhook <instance>",
// triggers "deskhook <instance>: ..."), which is how a second install finds it (idempotent) and
// how uninstall removes only deskhook's own objects.
//
// Blocking network I/O against config.base_url with config's auth, CA path and timeout; call
// from the CLI, not from the server's threads.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "connectors/connector.h"

namespace deskhook {

struct ZendeskInstallReport {
  std::string webhook_id;
  std::string endpoint;        // where Zendesk will POST
  std::string signing_secret;  // SECRET: show once to the admin, never log
  std::string api_user_id;     // the API user (GET /api/v2/users/me): config self_user_id
  std::vector<std::string> actions;  // one line per object: "created webhook ...", "kept trigger ..."
};

struct ZendeskUninstallReport {
  std::vector<std::string> actions;
};

// "deskhook <instance>" and "deskhook <instance>: " (trigger title prefix).
std::string ZendeskWebhookName(std::string_view instance);
std::string ZendeskTriggerPrefix(std::string_view instance);
// public_url + "/hooks/<instance>" unless public_url already ends with that.
std::string ZendeskWebhookEndpoint(std::string_view public_url, std::string_view instance);

// The JSON body a trigger sends (helpdesk-apis.md 1.1 template, plus current_user for the loop
// guard). `event` is "ticket.created" or "ticket.customer_replied".
std::string ZendeskTriggerPayloadTemplate(std::string_view event);

// Request bodies, exposed for contract tests.
std::string ZendeskWebhookRequest(std::string_view instance, std::string_view endpoint);
// which: 0 = ticket created, 1 = ticket updated by the customer.
std::string ZendeskTriggerRequest(std::string_view instance, int which, std::string_view webhook_id,
                                  std::string_view category_id);
inline constexpr int kZendeskTriggerCount = 2;

// REQUIRES: config.kind == "zendesk", base_url and API credentials set; public_url is http(s).
// Idempotent: a second run finds the webhook/category/triggers by name and updates them in place
// (endpoint, trigger conditions/actions) instead of creating duplicates.
Result<ZendeskInstallReport> InstallZendesk(const InstanceConfig& config, std::string_view public_url);

// Deletes the triggers titled "deskhook <instance>: ...", the category and the webhook named
// "deskhook <instance>"; nothing else. Running it when nothing is installed is not an error.
Result<ZendeskUninstallReport> UninstallZendesk(const InstanceConfig& config);

}  // namespace deskhook
