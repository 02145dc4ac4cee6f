#include "connectors/intercom/intercom_install.h"

#include "connectors/zendesk/zendesk_install.h"

namespace deskhook {

std::string IntercomInstallSteps(const InstanceConfig& config, std::string_view public_url) {
  const std::string endpoint = ZendeskWebhookEndpoint(public_url, config.name);  // same /hooks/<name>
  const std::string api = config.base_url.empty() ? "https://api.intercom.io" : config.base_url;
  std::string s;
  s += "Intercom has no API for creating webhook subscriptions; do this once in the Developer Hub\n";
  s += "(about 5 minutes, as a workspace admin):\n\n";
  s += "1. In Intercom: Settings > Integrations > Developer Hub\n";
  s += "   (https://app.intercom.com/a/apps/_/developer-hub), click \"New app\".\n";
  s += "   App name: \"deskhook " + config.name + "\"; Workspace: the one to connect; internal integration.\n";
  s += "2. Authentication: click \"Edit\" and, under \"People and conversation data\", enable\n";
  s += "   \"Read conversations\" and \"Write conversations\" (tags, notes, assignment, priority),\n";
  s += "   plus the admins/tags/articles permissions your plan shows (read admins, read/write tags,\n";
  s += "   read/write articles for FAQ drafts). Save. Changing permissions regenerates the token:\n";
  s += "   copy the current \"Access token\" -> config field access_token.\n";
  s += "3. Basic information: copy the \"Client secret\" -> config field signing_secret\n";
  s += "   (Intercom signs every webhook with it: X-Hub-Signature: sha1=HMAC-SHA1(body)).\n";
  s += "4. Webhooks: click \"Edit\"; Endpoint URL (public HTTPS; Intercom does not call localhost):\n";
  s += "     " + endpoint + "\n";
  s += "   Topics: conversation.user.created, conversation.user.replied\n";
  s += "   (optional: conversation.admin.assigned, conversation.admin.noted for the decision log).\n";
  s += "   Save, then \"Send a test request\": deskhook answers the ping with 200.\n";
  s += "5. Find the admin deskhook acts as (its id is also the loop guard):\n";
  s += "     curl -s " + api + "/me -H 'Authorization: Bearer <access token>' -H 'Intercom-Version: 2.14'\n";
  s += "   -> \"id\" -> config fields admin_id and article_author_id.\n";
  s += "   FAQ drafts go into a Help Center collection: ids from\n";
  s += "     curl -s " + api + "/help_center/collections -H 'Authorization: Bearer <access token>' -H 'Intercom-Version: 2.14'\n";
  s += "   -> config field article_parent_id.\n\n";
  s += "Config lines for connectors[] (secrets as references, never inline):\n";
  s += "  {\"name\": \"" + config.name + "\", \"kind\": \"intercom\",\n";
  s += "   \"signing_secret\": \"${INTERCOM_CLIENT_SECRET}\", \"access_token\": \"${INTERCOM_ACCESS_TOKEN}\",\n";
  s += "   \"base_url\": \"" + api + "\", \"api_version\": \"2.14\",\n";
  s += "   \"admin_id\": \"<admin id>\", \"article_author_id\": \"<admin id>\", \"article_parent_id\": \"<collection id>\"}\n";
  s += "Priority changes need \"api_version\": \"Preview\" (2.14 has no writable conversation priority).\n";
  return s;
}

std::string IntercomUninstallSteps(const InstanceConfig& config) {
  std::string s;
  s += "Intercom webhooks belong to the app; to disconnect \"" + config.name + "\":\n";
  s += "1. Open https://app.intercom.com/a/apps/_/developer-hub, choose \"deskhook " + config.name + "\".\n";
  s += "2. Configure > Webhooks: remove the endpoint (or uncheck every topic) and save.\n";
  s += "3. To revoke deskhook's API access too, delete the app (Basic information > Delete app);\n";
  s += "   this invalidates its access token.\n";
  s += "4. Remove the \"" + config.name + "\" entry from connectors[] in deskhook's config.\n";
  return s;
}

}  // namespace deskhook
