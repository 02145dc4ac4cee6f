#include "connectors/zendesk/zendesk_install.h"

#include <httplib.h>

#include <boost/json.hpp>

#include <memory>

#include "connectors/call_common.h"
#include "connectors/zendesk/zendesk_calls.h"

namespace deskhook {
namespace {

namespace json = boost::json;

// A blocking JSON client for one Zendesk account.
class ZendeskApi {
 public:
  static Result<std::unique_ptr<ZendeskApi>> Open(const InstanceConfig& config) {
    std::string base = config.base_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    if (base.rfind("https://", 0) != 0 && base.rfind("http://", 0) != 0)
      return Status::InvalidArgument("connectors[" + config.name + "].base_url: expected https://<subdomain>.zendesk.com");
    if (config.oauth_token.empty() && (config.api_email.empty() || config.api_token.empty()))
      return Status::InvalidArgument("connectors[" + config.name +
                                     "]: install needs api_email + api_token or oauth_token");
    auto api = std::unique_ptr<ZendeskApi>(new ZendeskApi(base));
    httplib::Client& cli = api->cli_;
    if (!cli.is_valid()) return Status::InvalidArgument("connectors[" + config.name + "].base_url is not usable");
    const time_t sec = static_cast<time_t>(config.timeout_ms / 1000);
    const time_t usec = static_cast<time_t>((config.timeout_ms % 1000) * 1000);
    cli.set_connection_timeout(sec, usec);
    cli.set_read_timeout(sec, usec);
    cli.set_write_timeout(sec, usec);
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
    cli.enable_server_certificate_verification(true);
    if (!config.ca_path.empty()) cli.set_ca_cert_path(config.ca_path);
#endif
    api->auth_ = ZendeskAuthHeaders(config);
    return api;
  }

  // 2xx -> the parsed answer (null for an empty body); anything else -> a Status naming the call.
  Result<json::value> Call(const std::string& method, const std::string& path, const std::string& body = "") {
    httplib::Request req;
    req.method = method;
    req.path = path;
    req.headers.emplace("Accept", "application/json");
    for (const auto& [k, v] : auth_) req.headers.emplace(k, v);
    if (!body.empty()) {
      req.headers.emplace("Content-Type", "application/json");
      req.body = body;
    }
    auto res = cli_.send(req);
    const std::string what = method + " " + path.substr(0, path.find('?'));
    if (!res) return Status::Unavailable(what + ": " + httplib::to_string(res.error()));
    if (res->status < 200 || res->status >= 300) {
      const std::string msg = what + " -> HTTP " + std::to_string(res->status) + ": " + res->body.substr(0, 300);
      if (res->status == 401 || res->status == 403) return Status::Unauthenticated(msg);
      if (res->status == 429 || res->status >= 500) return Status::Unavailable(msg);
      return Status::InvalidArgument(msg);
    }
    if (res->body.empty()) return json::value(nullptr);
    boost::system::error_code ec;
    json::value v = json::parse(res->body, ec);
    if (ec) return Status::Internal(what + ": answer is not JSON");
    return v;
  }

  // All items of a (cursor or offset) paginated list.
  Result<std::vector<json::object>> List(std::string path, std::string_view key) {
    std::vector<json::object> out;
    for (int page = 0; page < 50 && !path.empty(); ++page) {
      auto r = Call("GET", path);
      if (!r.ok()) return r.status();
      path.clear();
      if (!r->is_object()) break;
      const auto& o = r->get_object();
      if (const auto* items = o.if_contains(key); items && items->is_array())
        for (const auto& it : items->get_array())
          if (it.is_object()) out.push_back(it.get_object());
      std::string next;
      if (const auto* meta = o.if_contains("meta"); meta && meta->is_object()) {
        const auto* more = meta->get_object().if_contains("has_more");
        if (more && more->is_bool() && more->get_bool())
          if (const auto* links = o.if_contains("links"); links && links->is_object())
            if (const auto* n = links->get_object().if_contains("next"); n && n->is_string()) next = n->get_string();
      } else if (const auto* n = o.if_contains("next_page"); n && n->is_string()) {
        next = n->get_string();
      }
      if (const size_t at = next.find("/api/v2/"); at != std::string::npos) path = next.substr(at);
    }
    return out;
  }

 private:
  explicit ZendeskApi(const std::string& base) : cli_(base) {}
  httplib::Client cli_;
  std::vector<std::pair<std::string, std::string>> auth_;
};

std::string Text(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v) return "";
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_int64() || v->is_uint64()) return json::serialize(*v);
  return "";
}

std::string IdAt(const json::value& answer, std::string_view wrapper) {
  if (!answer.is_object()) return "";
  const auto* w = answer.get_object().if_contains(wrapper);
  return w && w->is_object() ? Text(w->get_object(), "id") : "";
}

const char* const kTriggerNames[kZendeskTriggerCount] = {"ticket created", "customer replied"};

}  // namespace

std::string ZendeskWebhookName(std::string_view instance) { return "deskhook " + std::string(instance); }
std::string ZendeskTriggerPrefix(std::string_view instance) { return "deskhook " + std::string(instance) + ": "; }

std::string ZendeskWebhookEndpoint(std::string_view public_url, std::string_view instance) {
  std::string base(public_url);
  while (!base.empty() && base.back() == '/') base.pop_back();
  const std::string suffix = "/hooks/" + std::string(instance);
  if (base.size() >= suffix.size() && base.compare(base.size() - suffix.size(), suffix.size(), suffix) == 0)
    return base;
  return base + suffix;
}

std::string ZendeskTriggerPayloadTemplate(std::string_view event) {
  // Every value is a string: placeholders render as plain text inside the JSON body.
  return R"({"source":"zendesk-trigger","event":")" + std::string(event) + R"(",)"
         R"("ticket":{"id":"{{ticket.id}}","subject":"{{ticket.title}}",)"
         R"("description":"{{ticket.description}}","latest_comment":"{{ticket.latest_comment}}",)"
         R"("status":"{{ticket.status}}","priority":"{{ticket.priority}}","type":"{{ticket.ticket_type}}",)"
         R"("tags":"{{ticket.tags}}","via":"{{ticket.via}}",)"
         R"("created_at":"{{ticket.created_at_with_timestamp}}","updated_at":"{{ticket.updated_at_with_timestamp}}",)"
         R"("url":"{{ticket.link}}",)"
         R"("requester":{"id":"{{ticket.requester.id}}","name":"{{ticket.requester.name}}","email":"{{ticket.requester.email}}"},)"
         R"("assignee":{"id":"{{ticket.assignee.id}}","name":"{{ticket.assignee.name}}","email":"{{ticket.assignee.email}}"},)"
         R"("group":{"id":"{{ticket.group.id}}","name":"{{ticket.group.name}}"},)"
         R"("brand":"{{ticket.brand.name}}"},)"
         R"("current_user":{"id":"{{current_user.id}}","name":"{{current_user.name}}","email":"{{current_user.email}}"}})";
}

std::string ZendeskWebhookRequest(std::string_view instance, std::string_view endpoint) {
  json::object w;
  w["name"] = ZendeskWebhookName(instance);
  w["status"] = "active";
  w["endpoint"] = endpoint;
  w["http_method"] = "POST";
  w["request_format"] = "json";
  w["subscriptions"] = json::array{"conditional_ticket_events"};
  json::object body;
  body["webhook"] = std::move(w);
  return json::serialize(body);
}

std::string ZendeskTriggerRequest(std::string_view instance, int which, std::string_view webhook_id,
                                  std::string_view category_id) {
  auto cond = [](std::string_view field, std::string_view value) {
    json::object c;
    c["field"] = field;
    c["operator"] = "is";
    c["value"] = value;
    return c;
  };
  json::array all;
  std::string event;
  if (which == 0) {
    all.push_back(cond("update_type", "Create"));
    event = "ticket.created";
  } else {
    // Only the customer's own updates: deskhook's API changes (an agent) never fire it.
    all.push_back(cond("update_type", "Change"));
    all.push_back(cond("role", "end_user"));
    all.push_back(cond("comment_is_public", "true"));
    event = "ticket.customer_replied";
  }
  json::object conditions;
  conditions["all"] = std::move(all);
  conditions["any"] = json::array{};
  json::object action;
  action["field"] = "notification_webhook";
  action["value"] = json::array{json::string(webhook_id), json::string(ZendeskTriggerPayloadTemplate(event))};
  json::object t;
  t["title"] = ZendeskTriggerPrefix(instance) + kTriggerNames[which];
  t["description"] = "Sends ticket events to deskhook. Managed by `deskhook install`/`uninstall`.";
  t["active"] = true;
  t["category_id"] = category_id;
  t["conditions"] = std::move(conditions);
  t["actions"] = json::array{std::move(action)};
  json::object body;
  body["trigger"] = std::move(t);
  return json::serialize(body);
}

Result<ZendeskInstallReport> InstallZendesk(const InstanceConfig& config, std::string_view public_url) {
  if (public_url.rfind("https://", 0) != 0 && public_url.rfind("http://", 0) != 0)
    return Status::InvalidArgument("--url: expected the public http(s) URL where Zendesk can reach deskhook");
  auto opened = ZendeskApi::Open(config);
  if (!opened.ok()) return opened.status();
  ZendeskApi& api = **opened;
  ZendeskInstallReport report;
  report.endpoint = ZendeskWebhookEndpoint(public_url, config.name);
  const std::string name = ZendeskWebhookName(config.name);

  // 1. The webhook, found by exact name.
  auto hooks = api.List("/api/v2/webhooks?filter%5Bname_contains%5D=" + PercentEncode(name), "webhooks");
  if (!hooks.ok()) return hooks.status();
  for (const auto& h : *hooks) {
    if (Text(h, "name") != name) continue;
    report.webhook_id = Text(h, "id");
    if (Text(h, "endpoint") != report.endpoint) {
      json::object patch;
      patch["webhook"] = json::object{{"endpoint", report.endpoint}};
      auto r = api.Call("PATCH", "/api/v2/webhooks/" + PercentEncode(report.webhook_id), json::serialize(patch));
      if (!r.ok()) return r.status();
      report.actions.push_back("updated webhook '" + name + "' (" + report.webhook_id + ") endpoint -> " + report.endpoint);
    } else {
      report.actions.push_back("kept webhook '" + name + "' (" + report.webhook_id + ")");
    }
    break;
  }
  if (report.webhook_id.empty()) {
    auto r = api.Call("POST", "/api/v2/webhooks", ZendeskWebhookRequest(config.name, report.endpoint));
    if (!r.ok()) return r.status();
    report.webhook_id = IdAt(*r, "webhook");
    if (report.webhook_id.empty()) return Status::Internal("POST /api/v2/webhooks: answer has no webhook.id");
    report.actions.push_back("created webhook '" + name + "' (" + report.webhook_id + ") -> " + report.endpoint);
  }

  // 2. Its signing secret.
  auto secret = api.Call("GET", "/api/v2/webhooks/" + PercentEncode(report.webhook_id) + "/signing_secret");
  if (!secret.ok()) return secret.status();
  if (const auto* s = secret->is_object() ? secret->get_object().if_contains("signing_secret") : nullptr;
      s && s->is_object())
    report.signing_secret = Text(s->get_object(), "secret");
  if (report.signing_secret.empty()) return Status::Internal("signing_secret: answer has no secret");

  // The API user's id: deskhook's own updates carry it (config self_user_id, loop guard).
  auto me = api.Call("GET", "/api/v2/users/me");
  if (!me.ok()) return me.status();
  report.api_user_id = IdAt(*me, "user");

  // 3. A trigger category of our own.
  std::string category_id;
  auto categories = api.List("/api/v2/trigger_categories?page%5Bsize%5D=100", "trigger_categories");
  if (!categories.ok()) return categories.status();
  for (const auto& c : *categories)
    if (Text(c, "name") == name) category_id = Text(c, "id");
  if (category_id.empty()) {
    json::object body;
    body["trigger_category"] = json::object{{"name", name}};
    auto r = api.Call("POST", "/api/v2/trigger_categories", json::serialize(body));
    if (!r.ok()) return r.status();
    category_id = IdAt(*r, "trigger_category");
    if (category_id.empty()) return Status::Internal("POST /api/v2/trigger_categories: answer has no id");
    report.actions.push_back("created trigger category '" + name + "' (" + category_id + ")");
  } else {
    report.actions.push_back("kept trigger category '" + name + "' (" + category_id + ")");
  }

  // 4. The two triggers, found by title; existing ones are rewritten (the webhook id may be new).
  auto triggers = api.List("/api/v2/triggers/search?query=" + PercentEncode(ZendeskTriggerPrefix(config.name)), "triggers");
  if (!triggers.ok()) return triggers.status();
  for (int which = 0; which < kZendeskTriggerCount; ++which) {
    const std::string title = ZendeskTriggerPrefix(config.name) + kTriggerNames[which];
    const std::string body = ZendeskTriggerRequest(config.name, which, report.webhook_id, category_id);
    std::string id;
    for (const auto& t : *triggers)
      if (Text(t, "title") == title) id = Text(t, "id");
    if (id.empty()) {
      auto r = api.Call("POST", "/api/v2/triggers", body);
      if (!r.ok()) return r.status();
      report.actions.push_back("created trigger '" + title + "' (" + IdAt(*r, "trigger") + ")");
    } else {
      auto r = api.Call("PUT", "/api/v2/triggers/" + PercentEncode(id), body);
      if (!r.ok()) return r.status();
      report.actions.push_back("updated trigger '" + title + "' (" + id + ")");
    }
  }
  return report;
}

Result<ZendeskUninstallReport> UninstallZendesk(const InstanceConfig& config) {
  auto opened = ZendeskApi::Open(config);
  if (!opened.ok()) return opened.status();
  ZendeskApi& api = **opened;
  ZendeskUninstallReport report;
  const std::string name = ZendeskWebhookName(config.name);
  const std::string prefix = ZendeskTriggerPrefix(config.name);

  // Triggers first: Zendesk refuses to delete a webhook that triggers still use.
  auto triggers = api.List("/api/v2/triggers/search?query=" + PercentEncode(prefix), "triggers");
  if (!triggers.ok()) return triggers.status();
  for (const auto& t : *triggers) {
    const std::string title = Text(t, "title");
    if (title.rfind(prefix, 0) != 0) continue;
    auto r = api.Call("DELETE", "/api/v2/triggers/" + PercentEncode(Text(t, "id")));
    if (!r.ok()) return r.status();
    report.actions.push_back("deleted trigger '" + title + "'");
  }
  auto categories = api.List("/api/v2/trigger_categories?page%5Bsize%5D=100", "trigger_categories");
  if (!categories.ok()) return categories.status();
  for (const auto& c : *categories) {
    if (Text(c, "name") != name) continue;
    auto r = api.Call("DELETE", "/api/v2/trigger_categories/" + PercentEncode(Text(c, "id")));
    if (!r.ok()) return r.status();
    report.actions.push_back("deleted trigger category '" + name + "'");
  }
  auto hooks = api.List("/api/v2/webhooks?filter%5Bname_contains%5D=" + PercentEncode(name), "webhooks");
  if (!hooks.ok()) return hooks.status();
  for (const auto& h : *hooks) {
    if (Text(h, "name") != name) continue;
    auto r = api.Call("DELETE", "/api/v2/webhooks/" + PercentEncode(Text(h, "id")));
    if (!r.ok()) return r.status();
    report.actions.push_back("deleted webhook '" + name + "'");
  }
  if (report.actions.empty()) report.actions.push_back("nothing to remove: no deskhook objects for '" + config.name + "'");
  return report;
}

}  // namespace deskhook
