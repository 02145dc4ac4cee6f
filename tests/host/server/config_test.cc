// Config loading: secret references, field-named errors, and check-config's exit status.
#include <gtest/gtest.h>

#include <cstdlib>

#include "host/config.h"
#include "test_env.h"

namespace deskhook {
namespace {
using namespace deskhook::testing;

TEST(ConfigTest, ExampleStyleConfigParses) {
  TempDir dir;
  auto c = ParseConfig(ConfigJson(dir.path), dir.path);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->connectors.size(), 2u);
  EXPECT_EQ(c->FindInstance("zd")->signing_secret, kZendeskSecret);
  EXPECT_EQ(c->http.body_limit_bytes, 65536u);
  EXPECT_EQ(c->store_path, dir.path + "/deskhook.db");
  EXPECT_EQ(c->store_checkpoint_pages, 4000);
  EXPECT_EQ(c->http.listen_backlog, 1024);
}

TEST(ConfigTest, StoreAndHttpTuningIsReadAndBounded) {
  auto with = [](const std::string& pages) {
    return ParseConfig(R"({"store":{"checkpoint_pages":)" + pages +
                           R"(},"connectors":[{"name":"a","kind":"intercom","signing_secret":"x1234"}]})",
                       "");
  };
  ASSERT_TRUE(with("50000").ok());
  EXPECT_EQ(with("50000")->store_checkpoint_pages, 50000);
  auto backlog = ParseConfig(R"({"http":{"listen_backlog":0},"connectors":[{"name":"a","kind":"intercom","signing_secret":"x1234"}]})", "");
  ASSERT_FALSE(backlog.ok());
  EXPECT_NE(backlog.status().message().find("http.listen_backlog"), std::string::npos);
  for (const char* bad : {"99", "10000001", "\"many\""}) {
    auto c = with(bad);
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_NE(c.status().message().find("store.checkpoint_pages"), std::string::npos) << c.status().message();
  }
}

TEST(ConfigTest, HttpThreadsAndConnectionLimitsAreReadAndTheOldThreadsKeyIsAWarning) {
  const std::string conn = R"(,"connectors":[{"name":"a","kind":"intercom","signing_secret":"x1234"}]})";
  auto c = ParseConfig(R"({"http":{"io_threads":3,"worker_threads":6,"max_connections":500})" + conn, "");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->http.io_threads, 3);
  EXPECT_EQ(c->http.worker_threads, 6);
  EXPECT_EQ(c->http.max_connections, 500);
  EXPECT_TRUE(c->warnings.empty());
  // A config written for the thread-per-connection front still loads, and says why it changed.
  auto old = ParseConfig(R"({"http":{"threads":64})" + conn, "");
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  ASSERT_EQ(old->warnings.size(), 1u);
  EXPECT_NE(old->warnings[0].find("http.threads: no longer used"), std::string::npos) << old->warnings[0];
  for (const char* bad : {R"({"http":{"io_threads":0})", R"({"http":{"max_connections":0})",
                          R"({"http":{"worker_threads":1000})"}) {
    auto b = ParseConfig(std::string(bad) + conn, "");
    EXPECT_FALSE(b.ok()) << bad;
  }
}

TEST(ConfigTest, SecretsFromEnvAndFile) {
  TempDir dir;
  setenv("DESKHOOK_TEST_SECRET", "from-env-secret", 1);
  WriteFile(dir.path + "/secret.txt", "from-file-secret\n");
  std::string json = R"({"connectors":[
    {"name":"a","kind":"zendesk","signing_secret":"${DESKHOOK_TEST_SECRET}","base_url":"https://a.zendesk.com"},
    {"name":"b","kind":"intercom","signing_secret":{"file":")" + dir.path + R"(/secret.txt"}},
    {"name":"c","kind":"intercom","signing_secret":{"env":"DESKHOOK_TEST_SECRET"}}]})";
  auto c = ParseConfig(json, dir.path);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->FindInstance("a")->signing_secret, "from-env-secret");
  EXPECT_EQ(c->FindInstance("b")->signing_secret, "from-file-secret");
  EXPECT_EQ(c->FindInstance("c")->signing_secret, "from-env-secret");
}

TEST(ConfigTest, SkippingSecretsNeedsNoEnvironmentButStillChecksTheirShape) {
  unsetenv("DESKHOOK_MISSING_VAR");
  const std::string json =
      R"({"admin":{"token":{"env":"DESKHOOK_MISSING_VAR"}},"connectors":[{"name":"a","kind":"zendesk",)"
      R"("base_url":"https://acme.zendesk.com","api_email":"bot@acme.com",)"
      R"("signing_secret":"${DESKHOOK_MISSING_VAR}","api_token":{"file":"/nonexistent/token"}}]})";
  ASSERT_FALSE(ParseConfig(json, "").ok()) << "resolving: the variable is missing";
  auto skipped = ParseConfig(json, "", ConfigSecrets::kSkip);
  ASSERT_TRUE(skipped.ok()) << skipped.status().message();
  EXPECT_EQ(skipped->admin_token, kUnresolvedSecret);
  ASSERT_EQ(skipped->connectors.size(), 1u);
  EXPECT_EQ(skipped->connectors[0].signing_secret, kUnresolvedSecret);
  auto bad = ParseConfig(R"({"connectors":[{"name":"a","kind":"zendesk","signing_secret":42}]})", "",
                         ConfigSecrets::kSkip);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("connectors[0].signing_secret"), std::string::npos);
  EXPECT_TRUE(ParseConfig(json, "").status().message().find("DESKHOOK_MISSING_VAR") != std::string::npos)
      << "the next parse resolves again";
}

TEST(ConfigTest, ErrorsNameTheFieldAndNeverTheSecret) {
  unsetenv("DESKHOOK_MISSING_VAR");
  auto missing = ParseConfig(R"({"connectors":[{"name":"a","kind":"zendesk","signing_secret":"${DESKHOOK_MISSING_VAR}"}]})", "");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("connectors[0].signing_secret"), std::string::npos);

  auto kind = ParseConfig(R"({"connectors":[{"name":"a","kind":"freshdesk","signing_secret":"topsecretvalue"}]})", "");
  ASSERT_FALSE(kind.ok());
  EXPECT_NE(kind.status().message().find("kind"), std::string::npos);
  EXPECT_EQ(kind.status().message().find("topsecretvalue"), std::string::npos);

  auto port = ParseConfig(R"({"http":{"port":70000},"connectors":[{"name":"a","kind":"zendesk","signing_secret":"s3cretvalue"}]})", "");
  ASSERT_FALSE(port.ok());
  EXPECT_NE(port.status().message().find("http.port"), std::string::npos);

  auto dup = ParseConfig(R"({"connectors":[{"name":"a","kind":"zendesk","signing_secret":"x1234","base_url":"https://a.zendesk.com"},{"name":"a","kind":"zendesk","signing_secret":"y1234","base_url":"https://a.zendesk.com"}]})", "");
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("duplicate"), std::string::npos);

  EXPECT_FALSE(ParseConfig("{not json", "").ok());
  EXPECT_FALSE(ParseConfig(R"({"connectors":[]})", "").ok());
}

TEST(ConfigTest, CheckConfigCommandExitStatus) {
  TempDir dir;
  std::string good = WriteFile(dir.path + "/good.json", ConfigJson(dir.path));
  std::string bad = WriteFile(dir.path + "/bad.json", R"({"connectors":[{"name":"a","kind":"nope"}]})");
  EXPECT_EQ(std::system((std::string(DESKHOOK_BINARY) + " check-config " + good + " >/dev/null").c_str()), 0);
  EXPECT_NE(std::system((std::string(DESKHOOK_BINARY) + " check-config " + bad + " >/dev/null 2>&1").c_str()), 0);
  std::string example = std::string(DESKHOOK_SOURCE_DIR) + "/examples/deskhook.json";
  setenv("ZENDESK_SIGNING_SECRET", "example-zd-secret", 1);
  setenv("ZENDESK_API_TOKEN", "example-zd-token", 1);
  setenv("INTERCOM_CLIENT_SECRET", "example-ic-secret", 1);
  setenv("INTERCOM_ACCESS_TOKEN", "example-ic-token", 1);
  setenv("DESKHOOK_ADMIN_TOKEN", "example-admin-token", 1);
  EXPECT_EQ(std::system((std::string(DESKHOOK_BINARY) + " check-config " + example + " >/dev/null").c_str()), 0)
      << "the documented example config must stay valid";
}

}  // namespace
}  // namespace deskhook

namespace deskhook {
namespace {
TEST(ConfigTest, ZendeskNeedsItsBaseUrl) {
  auto c = ParseConfig(R"({"connectors":[{"name":"a","kind":"zendesk","signing_secret":"x12345"}]})", "");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("connectors[0].base_url"), std::string::npos);
}
}  // namespace
}  // namespace deskhook
