// Connector construction (config validation), auth headers, and that the factory wires kinds.
#include <gtest/gtest.h>

#include "connectors/common/crypto.h"
#include "connectors/connector.h"

namespace deskhook {
namespace {

InstanceConfig Base(std::string kind) {
  InstanceConfig c;
  c.name = "acme";
  c.kind = std::move(kind);
  c.signing_secret = "sekrit-value";
  return c;
}

std::string HeaderValue(const std::vector<std::pair<std::string, std::string>>& h, std::string_view name) {
  for (const auto& [k, v] : h) {
    if (EqualsIgnoreCase(k, name)) return v;
  }
  return "<absent>";
}

TEST(ConnectorFactory, BuildsEachKind) {
  for (std::string kind : {"zendesk", "intercom"}) {
    auto r = MakeConnector(Base(kind));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r.value()->kind(), kind);
    EXPECT_EQ(r.value()->config().name, "acme");
  }
  EXPECT_EQ(MakeConnector(Base("freshdesk")).status().code(), Code::kInvalidArgument);
}

TEST(ConnectorFactory, SigningSecretIsRequired) {
  for (std::string kind : {"zendesk", "intercom"}) {
    InstanceConfig c = Base(kind);
    c.signing_secret.clear();
    auto r = MakeConnector(c);
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(r.status().message(), "connectors[acme].signing_secret is required");
  }
}

TEST(ConnectorFactory, OtherFieldChecksNameTheField) {
  InstanceConfig c = Base("zendesk");
  c.api_email = "ops@acme.example";
  auto r = MakeConnector(c);
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("connectors[acme].api_token"), std::string::npos);

  c = Base("zendesk");
  c.timestamp_tolerance_s = 0;
  EXPECT_NE(MakeConnector(c).status().message().find("timestamp_tolerance_s"), std::string::npos);

  c = Base("intercom");
  c.base_url = "api.intercom.io";
  EXPECT_NE(MakeConnector(c).status().message().find("connectors[acme].base_url"), std::string::npos);

  c = Base("zendesk");
  c.name.clear();
  EXPECT_EQ(MakeConnector(c).status().code(), Code::kInvalidArgument);

  // Errors never echo secrets.
  c = Base("zendesk");
  c.api_token = "tok-123";
  auto e = MakeConnector(c);
  EXPECT_EQ(e.status().message().find("tok-123"), std::string::npos);
  EXPECT_EQ(e.status().message().find("sekrit-value"), std::string::npos);
}

TEST(ConnectorAuth, ZendeskApiTokenAndOAuth) {
  InstanceConfig c = Base("zendesk");
  c.api_email = "ops@acme.example";
  c.api_token = "tok-123";
  auto h = MakeConnector(c).value()->AuthHeaders();
  EXPECT_EQ(HeaderValue(h, "Authorization"),
            "Basic " + common::Base64Encode("ops@acme.example/token:tok-123"));
  EXPECT_EQ(HeaderValue(h, "Authorization"), "Basic b3BzQGFjbWUuZXhhbXBsZS90b2tlbjp0b2stMTIz");

  c.oauth_token = "oauth-xyz";
  h = MakeConnector(c).value()->AuthHeaders();
  EXPECT_EQ(HeaderValue(h, "Authorization"), "Bearer oauth-xyz");
}

TEST(ConnectorAuth, IntercomBearerAndVersion) {
  InstanceConfig c = Base("intercom");
  c.access_token = "ic-token";
  c.api_version = "2.14";
  auto conn = MakeConnector(c).value();
  auto h = conn->AuthHeaders();
  EXPECT_EQ(HeaderValue(h, "Authorization"), "Bearer ic-token");
  EXPECT_EQ(HeaderValue(h, "Intercom-Version"), "2.14");
  EXPECT_EQ(HeaderValue(h, "Accept"), "application/json");
  EXPECT_EQ(HeaderValue(h, "Content-Type"), "application/json");
  EXPECT_EQ(conn->config().base_url, "https://api.intercom.io");  // default
}

}  // namespace
}  // namespace deskhook
