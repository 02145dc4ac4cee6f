// `deskhook install/uninstall zendesk` against a small in-test fake Zendesk (cpp-httplib) that
// keeps webhooks, trigger categories and triggers in memory and records every call. The
// Webhooks API has no official OpenAPI file in shared/specs, so this fake is the contract for
// it; the trigger requests are also contract-tested with Prism in contract_zendesk_test.
#include <gtest/gtest.h>

#include <httplib.h>

#include <boost/json.hpp>

#include <map>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>

#include "connectors/call_common.h"
#include "connectors/intercom/intercom_install.h"
#include "connectors/zendesk/zendesk_install.h"

namespace deskhook {
namespace {

namespace json = boost::json;

// Basic base64("admin@example.com/token:TOKEN").
constexpr char kGoodAuth[] = "Basic YWRtaW5AZXhhbXBsZS5jb20vdG9rZW46VE9LRU4=";

class FakeZendesk {
 public:
  FakeZendesk() {
    auto guard = [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      calls_.push_back(req.method + " " + req.path);
      if (req.get_header_value("Authorization") != kGoodAuth) {
        res.status = 401;
        res.set_content(R"({"error":"Couldn't authenticate you"})", "application/json");
        return httplib::Server::HandlerResponse::Handled;
      }
      return httplib::Server::HandlerResponse::Unhandled;
    };
    srv_.set_pre_routing_handler(guard);
    srv_.Get("/api/v2/users/me", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"user":{"id":39011700099,"name":"deskhook bot"}})", "application/json");
    });
    // Webhooks: cursor pagination, one per page, so the client must follow links.next.
    srv_.Get("/api/v2/webhooks", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      const std::string filter = req.get_param_value("filter[name_contains]");
      const std::string after = req.get_param_value("page[after]");
      json::array page;
      std::string next;
      for (const auto& [id, w] : webhooks_) {
        if (std::string(w.at("name").as_string()).find(filter) == std::string::npos) continue;
        if (!after.empty() && id <= after) continue;
        if (!page.empty()) {
          next = "https://acme.zendesk.com/api/v2/webhooks?filter%5Bname_contains%5D=" + PercentEncode(filter) +
                 "&page%5Bafter%5D=" + page.back().at("id").as_string().c_str();
          break;
        }
        page.push_back(w);
      }
      json::object body{{"webhooks", page}, {"meta", {{"has_more", !next.empty()}}},
                        {"links", {{"next", next.empty() ? json::value(nullptr) : json::value(next)}}}};
      res.set_content(json::serialize(body), "application/json");
    });
    srv_.Post("/api/v2/webhooks", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      json::object w = json::parse(req.body).at("webhook").as_object();
      const std::string id = "01WH" + std::to_string(++next_id_);
      w["id"] = id;
      webhooks_[id] = w;
      res.status = 201;
      res.set_content(json::serialize(json::object{{"webhook", w}}), "application/json");
    });
    srv_.Patch(R"(/api/v2/webhooks/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = webhooks_.find(req.matches[1]);
      if (it == webhooks_.end()) return void(res.status = 404);
      const json::value patch = json::parse(req.body);
      for (const auto& kv : patch.at("webhook").as_object()) it->second[kv.key()] = kv.value();
      res.status = 204;
    });
    srv_.Delete(R"(/api/v2/webhooks/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      const std::string id = req.matches[1];
      for (const auto& [tid, t] : triggers_) {
        if (json::serialize(t).find(id) != std::string::npos) {  // like Zendesk: still in use
          res.status = 400;
          res.set_content(R"({"error":"webhook is used by a trigger"})", "application/json");
          return;
        }
      }
      res.status = webhooks_.erase(id) ? 204 : 404;
    });
    srv_.Get(R"(/api/v2/webhooks/([^/]+)/signing_secret)", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      if (!webhooks_.count(req.matches[1])) return void(res.status = 404);
      res.set_content(R"({"signing_secret":{"algorithm":"SHA256","secret":"sec-)" + std::string(req.matches[1]) + "\"}}",
                      "application/json");
    });
    srv_.Get("/api/v2/trigger_categories", [this](const httplib::Request&, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      json::array all;
      for (const auto& [id, c] : categories_) all.push_back(c);
      res.set_content(json::serialize(json::object{{"trigger_categories", all}, {"meta", {{"has_more", false}}}}),
                      "application/json");
    });
    srv_.Post("/api/v2/trigger_categories", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      json::object c = json::parse(req.body).at("trigger_category").as_object();
      const std::string id = std::to_string(10000 + ++next_id_);
      c["id"] = id;
      categories_[id] = c;
      res.set_content(json::serialize(json::object{{"trigger_category", c}}), "application/json");
    });
    srv_.Delete(R"(/api/v2/trigger_categories/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      res.status = categories_.erase(req.matches[1]) ? 204 : 404;
    });
    srv_.Get("/api/v2/triggers/search", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      const std::string q = req.get_param_value("query");
      json::array found;
      for (const auto& [id, t] : triggers_)
        if (std::string(t.at("title").as_string()).find(q) != std::string::npos) found.push_back(t);
      res.set_content(json::serialize(json::object{{"triggers", found}, {"next_page", nullptr}, {"count", found.size()}}),
                      "application/json");
    });
    srv_.Post("/api/v2/triggers", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      json::object t = json::parse(req.body).at("trigger").as_object();
      const int64_t id = 360000 + ++next_id_;
      t["id"] = id;
      triggers_[id] = t;
      res.status = 201;
      res.set_content(json::serialize(json::object{{"trigger", t}}), "application/json");
    });
    srv_.Put(R"(/api/v2/triggers/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = triggers_.find(std::stoll(req.matches[1]));
      if (it == triggers_.end()) return void(res.status = 404);
      json::object t = json::parse(req.body).at("trigger").as_object();
      t["id"] = it->first;
      it->second = t;
      res.set_content(json::serialize(json::object{{"trigger", t}}), "application/json");
    });
    srv_.Delete(R"(/api/v2/triggers/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      res.status = triggers_.erase(std::stoll(req.matches[1])) ? 204 : 404;
    });
    port_ = srv_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { srv_.listen_after_bind(); });
    while (!srv_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeZendesk() {
    srv_.stop();
    thread_.join();
  }

  // Objects that exist before deskhook is installed and must survive uninstall.
  void AddForeignObjects() {
    std::lock_guard<std::mutex> lock(mu_);
    webhooks_["01OTHER1"] = json::object{{"id", "01OTHER1"}, {"name", "deskhook prod-eu"}, {"endpoint", "https://x"}};
    webhooks_["01OTHER2"] = json::object{{"id", "01OTHER2"}, {"name", "Slack alerts"}, {"endpoint", "https://y"}};
    triggers_[1] = json::object{{"id", 1}, {"title", "deskhook prod-eu: ticket created"}};
    triggers_[2] = json::object{{"id", 2}, {"title", "Notify requester of received request"}};
    categories_["9"] = json::object{{"id", "9"}, {"name", "Notifications"}};
  }

  InstanceConfig Config(std::string name = "prod") const {
    InstanceConfig c;
    c.name = std::move(name);
    c.kind = "zendesk";
    c.base_url = "http://127.0.0.1:" + std::to_string(port_);
    c.api_email = "admin@example.com";
    c.api_token = "TOKEN";
    c.timeout_ms = 5000;
    return c;
  }
  std::vector<std::string> TakeCalls() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::exchange(calls_, {});
  }
  size_t CountCalls(const std::vector<std::string>& calls, std::string_view prefix) {
    return std::count_if(calls.begin(), calls.end(), [&](const std::string& c) { return c.rfind(prefix, 0) == 0; });
  }

  std::mutex mu_;
  std::map<std::string, json::object> webhooks_;
  std::map<std::string, json::object> categories_;
  std::map<int64_t, json::object> triggers_;

 private:
  httplib::Server srv_;
  std::thread thread_;
  int port_ = 0;
  int next_id_ = 0;
  std::vector<std::string> calls_;
};

TEST(ZendeskInstall, CreatesWebhookCategoryAndTwoTriggers) {
  FakeZendesk fake;
  auto r = InstallZendesk(fake.Config(), "https://deskhook.example.com/");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->endpoint, "https://deskhook.example.com/hooks/prod");
  EXPECT_EQ(r->signing_secret, "sec-" + r->webhook_id);
  EXPECT_EQ(r->api_user_id, "39011700099");
  std::lock_guard<std::mutex> lock(fake.mu_);
  ASSERT_EQ(fake.webhooks_.size(), 1u);
  const json::object& w = fake.webhooks_.begin()->second;
  EXPECT_EQ(w.at("name").as_string(), "deskhook prod");
  EXPECT_EQ(w.at("endpoint").as_string(), "https://deskhook.example.com/hooks/prod");
  EXPECT_EQ(json::serialize(w.at("subscriptions")), R"(["conditional_ticket_events"])");
  EXPECT_EQ(w.at("request_format").as_string(), "json");
  EXPECT_EQ(w.at("http_method").as_string(), "POST");
  ASSERT_EQ(fake.categories_.size(), 1u);
  const std::string category = fake.categories_.begin()->first;
  ASSERT_EQ(fake.triggers_.size(), 2u);
  std::set<std::string> events;
  for (const auto& [id, t] : fake.triggers_) {
    SCOPED_TRACE(json::serialize(t));
    EXPECT_EQ(std::string(t.at("title").as_string()).rfind("deskhook prod: ", 0), 0u);
    EXPECT_EQ(t.at("category_id").as_string(), category);
    const auto& action = t.at("actions").as_array().at(0).as_object();
    EXPECT_EQ(action.at("field").as_string(), "notification_webhook");
    EXPECT_EQ(action.at("value").as_array().at(0).as_string(), r->webhook_id);
    // The payload template is valid JSON whose values are all placeholders rendered as strings.
    const json::value payload = json::parse(action.at("value").as_array().at(1).as_string());
    EXPECT_EQ(payload.at("source").as_string(), "zendesk-trigger");
    EXPECT_EQ(payload.at("ticket").at("id").as_string(), "{{ticket.id}}");
    EXPECT_EQ(payload.at("current_user").at("id").as_string(), "{{current_user.id}}");
    events.insert(std::string(payload.at("event").as_string()));
    const auto& all = t.at("conditions").at("all").as_array();
    EXPECT_EQ(all.at(0).at("field").as_string(), "update_type");
  }
  EXPECT_EQ(events, (std::set<std::string>{"ticket.created", "ticket.customer_replied"}));
}

TEST(ZendeskInstall, RunningTwiceKeepsOneOfEverything) {
  FakeZendesk fake;
  fake.AddForeignObjects();
  auto first = InstallZendesk(fake.Config(), "https://deskhook.example.com");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  fake.TakeCalls();
  auto second = InstallZendesk(fake.Config(), "https://deskhook.example.com");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  const auto calls = fake.TakeCalls();
  EXPECT_EQ(fake.CountCalls(calls, "POST "), 0u) << "second run created something";
  EXPECT_EQ(fake.CountCalls(calls, "PATCH "), 0u);
  EXPECT_EQ(fake.CountCalls(calls, "PUT /api/v2/triggers/"), 2u);  // refreshed in place
  EXPECT_EQ(second->webhook_id, first->webhook_id);
  EXPECT_EQ(second->signing_secret, first->signing_secret);
  std::lock_guard<std::mutex> lock(fake.mu_);
  EXPECT_EQ(fake.webhooks_.size(), 3u);    // ours + 2 foreign
  EXPECT_EQ(fake.categories_.size(), 2u);  // ours + 1 foreign
  EXPECT_EQ(fake.triggers_.size(), 4u);    // ours (2) + 2 foreign
}

TEST(ZendeskInstall, ANewPublicUrlUpdatesTheWebhookEndpoint) {
  FakeZendesk fake;
  ASSERT_TRUE(InstallZendesk(fake.Config(), "https://old.example.com").ok());
  fake.TakeCalls();
  auto r = InstallZendesk(fake.Config(), "https://new.example.com/hooks/prod");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto calls = fake.TakeCalls();
  EXPECT_EQ(fake.CountCalls(calls, "PATCH /api/v2/webhooks/"), 1u);
  std::lock_guard<std::mutex> lock(fake.mu_);
  ASSERT_EQ(fake.webhooks_.size(), 1u);
  EXPECT_EQ(fake.webhooks_.begin()->second.at("endpoint").as_string(), "https://new.example.com/hooks/prod");
}

TEST(ZendeskInstall, UninstallRemovesOnlyWhatInstallCreated) {
  FakeZendesk fake;
  fake.AddForeignObjects();
  ASSERT_TRUE(InstallZendesk(fake.Config(), "https://deskhook.example.com").ok());
  auto r = UninstallZendesk(fake.Config());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->actions.size(), 4u);  // 2 triggers, 1 category, 1 webhook
  {
    std::lock_guard<std::mutex> lock(fake.mu_);
    EXPECT_EQ(fake.webhooks_.size(), 2u);
    EXPECT_TRUE(fake.webhooks_.count("01OTHER1"));  // "deskhook prod-eu" is another instance
    EXPECT_TRUE(fake.webhooks_.count("01OTHER2"));
    EXPECT_EQ(fake.triggers_.size(), 2u);
    EXPECT_TRUE(fake.triggers_.count(1) && fake.triggers_.count(2));
    ASSERT_EQ(fake.categories_.size(), 1u);
    EXPECT_EQ(fake.categories_.begin()->second.at("name").as_string(), "Notifications");
  }
  fake.TakeCalls();
  auto again = UninstallZendesk(fake.Config());
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->actions.size(), 1u);
  EXPECT_NE(again->actions[0].find("nothing to remove"), std::string::npos);
  EXPECT_EQ(fake.CountCalls(fake.TakeCalls(), "DELETE "), 0u);
}

TEST(ZendeskInstall, BadCredentialsOrUrlFailCleanlyAndChangeNothing) {
  FakeZendesk fake;
  auto config = fake.Config();
  config.api_token = "WRONG";
  auto r = InstallZendesk(config, "https://deskhook.example.com");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnauthenticated);
  EXPECT_EQ(r.status().message().find("WRONG"), std::string::npos);  // no secret in the message
  EXPECT_FALSE(InstallZendesk(fake.Config(), "deskhook.example.com").ok());  // not a URL
  config = fake.Config();
  config.api_token = "";
  EXPECT_EQ(InstallZendesk(config, "https://d.example.com").status().code(), Code::kInvalidArgument);
  config = fake.Config();
  config.base_url = "http://127.0.0.1:1";  // nothing listens
  EXPECT_EQ(InstallZendesk(config, "https://d.example.com").status().code(), Code::kUnavailable);
  std::lock_guard<std::mutex> lock(fake.mu_);
  EXPECT_TRUE(fake.webhooks_.empty());
  EXPECT_TRUE(fake.triggers_.empty());
}

TEST(ZendeskInstall, EndpointAndNames) {
  EXPECT_EQ(ZendeskWebhookEndpoint("https://d.example.com", "eu"), "https://d.example.com/hooks/eu");
  EXPECT_EQ(ZendeskWebhookEndpoint("https://d.example.com/base/", "eu"), "https://d.example.com/base/hooks/eu");
  EXPECT_EQ(ZendeskWebhookEndpoint("https://d.example.com/hooks/eu", "eu"), "https://d.example.com/hooks/eu");
  EXPECT_EQ(ZendeskWebhookName("eu"), "deskhook eu");
  EXPECT_EQ(ZendeskTriggerPrefix("eu"), "deskhook eu: ");
}

std::string RunCli(const std::string& args, int* exit_code) {
  const std::string cmd = "ZENDESK_API_TOKEN=TOKEN " + std::string(DESKHOOK_BINARY) + " " + args + " 2>&1";
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return "popen failed";
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

TEST(ZendeskInstallCli, InstallTwiceThenUninstallThroughTheBinary) {
  ASSERT_EQ(::access(DESKHOOK_BINARY, X_OK), 0) << "build the deskhook target: " << DESKHOOK_BINARY;
  FakeZendesk fake;
  const std::string base = fake.Config().base_url;
  const std::string install = "install zendesk --instance prod --url https://d.example.com --base-url " + base +
                              " --email admin@example.com";
  int code = -1;
  std::string out = RunCli(install, &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("created webhook 'deskhook prod'"), std::string::npos) << out;
  EXPECT_NE(out.find("sec-01WH"), std::string::npos) << out;  // the secret, for the admin
  EXPECT_NE(out.find("\"self_user_id\": \"39011700099\""), std::string::npos) << out;
  EXPECT_EQ(out.find("TOKEN\""), std::string::npos) << "API token must not be printed";
  out = RunCli(install, &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("kept webhook 'deskhook prod'"), std::string::npos) << out;
  {
    std::lock_guard<std::mutex> lock(fake.mu_);
    EXPECT_EQ(fake.webhooks_.size(), 1u);
    EXPECT_EQ(fake.triggers_.size(), 2u);
  }
  out = RunCli("uninstall zendesk --instance prod --base-url " + base + " --email admin@example.com", &code);
  EXPECT_EQ(code, 0) << out;
  std::lock_guard<std::mutex> lock(fake.mu_);
  EXPECT_TRUE(fake.webhooks_.empty() && fake.triggers_.empty() && fake.categories_.empty()) << out;
}

TEST(ZendeskInstallCli, MissingFlagsAreClearErrors) {
  ASSERT_EQ(::access(DESKHOOK_BINARY, X_OK), 0) << "build the deskhook target: " << DESKHOOK_BINARY;
  int code = 0;
  std::string out = RunCli("install zendesk --url https://d.example.com", &code);
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("--instance"), std::string::npos) << out;
  out = RunCli("install freshdesk --instance x", &code);
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("usage"), std::string::npos) << out;
}

TEST(IntercomInstall, StepsNameTheEndpointTopicsAndConfigFields) {
  InstanceConfig c;
  c.name = "ic";
  c.kind = "intercom";
  const std::string steps = IntercomInstallSteps(c, "https://deskhook.example.com");
  for (const char* must : {"https://deskhook.example.com/hooks/ic", "conversation.user.created",
                           "conversation.user.replied", "Client secret", "signing_secret", "access_token",
                           "admin_id", "article_author_id", "article_parent_id", "Developer Hub", "/me"}) {
    EXPECT_NE(steps.find(must), std::string::npos) << must;
  }
  EXPECT_NE(IntercomUninstallSteps(c).find("Webhooks"), std::string::npos);
}

}  // namespace
}  // namespace deskhook
