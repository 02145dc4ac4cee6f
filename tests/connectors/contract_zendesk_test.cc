// Contract tests: every Zendesk call deskhook builds is sent to Stoplight Prism serving the
// official Support and Help Center OpenAPI files, and must pass request validation (2xx).
// Broken variants must be rejected (422), which proves the validator is active.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "connectors/zendesk/zendesk_calls.h"
#include "connectors/zendesk/zendesk_install.h"
#include "tests/connectors/prism_fixture.h"

namespace deskhook {
namespace {

namespace json = boost::json;
using namespace deskhook::testing;

class ZendeskContract : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(PrismBinary().empty()) << PrismMissingMessage();
    std::string error;
    support_ = SharedPrism(SharedPath("specs/zendesk/support-api-oas.yaml"), &error);
    ASSERT_NE(support_, nullptr) << error;
    helpcenter_ = SharedPrism(SharedPath("specs/zendesk/helpcenter-oas.yaml"), &error);
    ASSERT_NE(helpcenter_, nullptr) << error;
  }
  int PortFor(const ApiCall& c) const {
    return c.path.rfind("/api/v2/help_center/", 0) == 0 ? helpcenter_->port() : support_->port();
  }
  SentCall Send(const ApiCall& c, const std::vector<std::pair<std::string, std::string>>& auth) {
    auto sent = SendCalls(PortFor(c), {c}, auth);
    return sent.empty() ? SentCall{} : sent[0];
  }
  static Ticket T(std::string id = "35436") {
    Ticket t;
    t.id = std::move(id);
    return t;
  }
  PrismServer* support_ = nullptr;
  PrismServer* helpcenter_ = nullptr;
  const std::vector<std::pair<std::string, std::string>> auth_ = ZendeskAuthHeaders(ZendeskTestConfig());
};

TEST_F(ZendeskContract, EveryBuiltCallPassesValidation) {
  std::set<std::string> kinds;
  for (const auto& [name, d] : EveryDecisionKind()) {
    for (const ApiCall& c : BuildZendeskCalls(ZendeskTestConfig(), T(), d, "evt-" + name)) {
      SCOPED_TRACE(name + ": " + c.method + " " + c.path + " " + c.body);
      const SentCall s = Send(c, auth_);
      EXPECT_GE(s.status, 200);
      EXPECT_LT(s.status, 300) << s.response;
      kinds.insert(c.kind);
    }
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"ticket_update", "article"}));
}

TEST_F(ZendeskContract, EffectCheckCallsPassValidation) {
  DecisionSet d;
  d.notes = {"n"};
  d.drafts.push_back({"Q?", "<p>A</p>", "", {}});
  int checked = 0;
  for (const ApiCall& c : BuildZendeskCalls(ZendeskTestConfig(), T(), d, "evt")) {
    const auto check = BuildZendeskEffectCheck(ZendeskTestConfig(), c);
    ASSERT_TRUE(check.has_value()) << c.kind;
    SCOPED_TRACE(check->method + " " + check->path);
    const SentCall s = Send(*check, auth_);
    EXPECT_EQ(s.status, 200) << s.response;
    // Prism answers the spec's example, which has no deskhook marker.
    EXPECT_FALSE(EffectPresentInResponse(c, s.response));
    ++checked;
  }
  EXPECT_EQ(checked, 2);
}

TEST_F(ZendeskContract, BrokenTicketUpdatesAreRejected) {
  DecisionSet d;
  d.group_id = "360000333444";
  d.notes = {"n"};
  const ApiCall good = BuildZendeskCalls(ZendeskTestConfig(), T(), d, "evt").at(0);

  ApiCall bad = good;
  bad.body = R"({"ticket":{"group_id":"escalations","priority":"super-urgent","comment":{"body":"x","public":"no"}}})";
  SentCall s = Send(bad, auth_);
  EXPECT_EQ(s.status, 422) << s.response;
  EXPECT_NE(s.response.find("ticket.group_id must be integer"), std::string::npos) << s.response;
  EXPECT_NE(s.response.find("ticket.comment.public must be boolean"), std::string::npos);

  bad = good;
  bad.path = "/api/v2/tickets/abc";
  EXPECT_EQ(Send(bad, auth_).status, 422);
  bad.path = "/api/v2/tickets/35436.json";  // why paths carry no suffix
  EXPECT_EQ(Send(bad, auth_).status, 422);

  EXPECT_EQ(Send(good, {}).status, 401);  // no credentials
  EXPECT_EQ(Send(good, auth_).status, 200);
}

TEST_F(ZendeskContract, BrokenDraftArticlesAreRejected) {
  DecisionSet d;
  d.drafts.push_back({"How do I reset my password?", "<p>Steps</p>", "", {}});
  const ApiCall good = BuildZendeskCalls(ZendeskTestConfig(), T(), d, "evt").at(0);
  EXPECT_EQ(Send(good, auth_).status, 201);

  json::value body = json::parse(good.body);
  body.at("article").as_object()["user_segment_id"] = nullptr;  // H1: why deskhook omits it
  ApiCall bad = good;
  bad.body = json::serialize(body);
  SentCall s = Send(bad, auth_);
  EXPECT_EQ(s.status, 422) << s.response;
  EXPECT_NE(s.response.find("user_segment_id must be integer"), std::string::npos) << s.response;

  body = json::parse(good.body);
  body.at("article").as_object().erase("title");
  bad.body = json::serialize(body);
  s = Send(bad, auth_);
  EXPECT_EQ(s.status, 422);
  EXPECT_NE(s.response.find("required property 'title'"), std::string::npos) << s.response;
}

// `deskhook install` writes triggers and a trigger category through the Support API (the
// Webhooks API itself is not in the shipped spec; install_zendesk_test covers it with a fake).
TEST_F(ZendeskContract, InstallTriggerAndCategoryRequestsPassValidation) {
  std::vector<std::pair<std::string, std::string>> headers = {{"Content-Type", "application/json"},
                                                              {"Accept", "application/json"}};
  headers.insert(headers.end(), auth_.begin(), auth_.end());
  auto spec = SpecDoc::Load(SharedPath("specs/zendesk/support-api-oas.yaml"));
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  const int port = support_->port();
  for (int which = 0; which < kZendeskTriggerCount; ++which) {
    const std::string body = ZendeskTriggerRequest("prod", which, "01GB5T2Y3WJ8XKQ2ZNM3C5ZJ5R", "10001");
    SCOPED_TRACE(body);
    SentCall s = SendRaw(port, "POST", "/api/v2/triggers", body, headers);
    EXPECT_EQ(s.status, 201) << s.response;
    s = SendRaw(port, "PUT", "/api/v2/triggers/360000123", body, headers);
    EXPECT_EQ(s.status, 200) << s.response;
    const auto* schema = spec->RequestSchema("POST", "/api/v2/triggers");
    ASSERT_NE(schema, nullptr);
    EXPECT_EQ(spec->Check(*schema, json::parse(body)), std::vector<std::string>{});
  }
  const std::string category = R"({"trigger_category":{"name":"deskhook prod"}})";
  EXPECT_EQ(SendRaw(port, "POST", "/api/v2/trigger_categories", category, headers).status, 200);
  EXPECT_EQ(SendRaw(port, "GET", "/api/v2/trigger_categories?page%5Bsize%5D=100", "", headers).status, 200);
  EXPECT_EQ(SendRaw(port, "GET", "/api/v2/triggers/search?query=deskhook%20prod%3A%20", "", headers).status, 200);
  EXPECT_EQ(SendRaw(port, "GET", "/api/v2/users/me", "", headers).status, 200);
  EXPECT_EQ(SendRaw(port, "DELETE", "/api/v2/triggers/360000123", "", headers).status, 204);
  EXPECT_EQ(SendRaw(port, "DELETE", "/api/v2/trigger_categories/10001", "", headers).status, 204);
  // The validator is active here too: a trigger whose actions are not an array is rejected.
  const SentCall bad = SendRaw(port, "POST", "/api/v2/triggers",
                               R"({"trigger":{"title":"x","actions":{"field":"notification_webhook"}}})", headers);
  EXPECT_EQ(bad.status, 422) << bad.response;
}

}  // namespace
}  // namespace deskhook
