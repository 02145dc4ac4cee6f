// Intercom webhook signatures against the shared vectors (read from DESKHOOK_SHARED_DIR):
// X-Hub-Signature: sha1=<hex HMAC-SHA1(client_secret, body)>, plus the negative cases.
#include <gtest/gtest.h>

#include "connectors/common/text.h"
#include "connectors/connector.h"
#include "connectors/intercom/intercom_inbound.h"
#include "tests/connectors/test_util.h"

namespace deskhook {
namespace {

using testing::HeadersOf;
using testing::SignatureVectors;
using testing::Str;

std::unique_ptr<Connector> IntercomWith(const std::string& secret) {
  InstanceConfig c;
  c.name = "ic";
  c.kind = "intercom";
  c.signing_secret = secret;
  auto r = MakeConnector(c);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return std::move(r).value();
}

constexpr int64_t kNow = 1795327200;  // Intercom signs no timestamp: any `now` works.

void ExpectRejected(const Status& s, const boost::json::object& v, const std::string& why) {
  EXPECT_EQ(s.code(), Code::kUnauthenticated) << why << ": " << s.ToString();
  std::string secret = Str(v, "secret");
  std::string expected = SignIntercom(secret, Str(v, "body"));
  EXPECT_EQ(s.message().find(secret), std::string::npos) << why;
  EXPECT_EQ(s.message().find(expected.substr(5)), std::string::npos) << why;
}

HeaderMap SigHeader(std::string value) { return HeaderMap{{"X-Hub-Signature", std::move(value)}}; }

TEST(IntercomSignature, EveryVectorVerifies) {
  auto vectors = SignatureVectors("intercom");
  ASSERT_EQ(vectors.size(), 3u);
  for (const auto& v : vectors) {
    auto ic = IntercomWith(Str(v, "secret"));
    EXPECT_TRUE(ic->Verify(HeadersOf(v), Str(v, "body"), kNow).ok()) << Str(v, "body");
    EXPECT_TRUE(ic->Verify(HeadersOf(v), Str(v, "body"), 0).ok());
    EXPECT_EQ(SignIntercom(Str(v, "secret"), Str(v, "body")), std::string(HeadersOf(v).Get("X-Hub-Signature")));
  }
}

TEST(IntercomSignature, TamperedBodyIsRejected) {
  for (const auto& v : SignatureVectors("intercom")) {
    auto ic = IntercomWith(Str(v, "secret"));
    std::string body = Str(v, "body");
    for (size_t pos : {size_t{0}, body.size() / 2, body.size() - 1}) {
      std::string tampered = body;
      tampered[pos] ^= 0x01;
      ExpectRejected(ic->Verify(HeadersOf(v), tampered, kNow), v, "flipped byte");
    }
  }
}

TEST(IntercomSignature, ReserialisedWhitespaceIsRejected) {
  for (const auto& v : SignatureVectors("intercom")) {
    auto ic = IntercomWith(Str(v, "secret"));
    std::string body = Str(v, "body");
    std::string pretty = boost::json::serialize(boost::json::parse(body));
    pretty = "{ " + pretty.substr(1);
    ASSERT_NE(pretty, body);
    ASSERT_EQ(boost::json::parse(pretty), boost::json::parse(body));
    ExpectRejected(ic->Verify(HeadersOf(v), pretty, kNow), v, "whitespace");
    ExpectRejected(ic->Verify(HeadersOf(v), body + "\n", kNow), v, "trailing newline");
  }
}

TEST(IntercomSignature, WrongSecretIsRejected) {
  for (const auto& v : SignatureVectors("intercom")) {
    ExpectRejected(IntercomWith("not-" + Str(v, "secret"))->Verify(HeadersOf(v), Str(v, "body"), kNow), v,
                   "wrong secret");
  }
}

TEST(IntercomSignature, HeaderNameCaseAndHexCaseDoNotMatter) {
  for (const auto& v : SignatureVectors("intercom")) {
    auto ic = IntercomWith(Str(v, "secret"));
    std::string value(HeadersOf(v).Get("X-Hub-Signature"));
    EXPECT_TRUE(ic->Verify(HeaderMap{{"x-hub-signature", value}}, Str(v, "body"), kNow).ok());
    EXPECT_TRUE(ic->Verify(HeaderMap{{"X-HUB-SIGNATURE", value}}, Str(v, "body"), kNow).ok());
    std::string upper_hex = "sha1=";
    for (char c : value.substr(5)) upper_hex.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    EXPECT_TRUE(ic->Verify(SigHeader(upper_hex), Str(v, "body"), kNow).ok());
  }
}

TEST(IntercomSignature, HeaderWithoutPrefixIsRejected) {
  for (const auto& v : SignatureVectors("intercom")) {
    auto ic = IntercomWith(Str(v, "secret"));
    std::string value(HeadersOf(v).Get("X-Hub-Signature"));
    ExpectRejected(ic->Verify(SigHeader(value.substr(5)), Str(v, "body"), kNow), v, "bare hex");
    ExpectRejected(ic->Verify(SigHeader("sha256=" + value.substr(5)), Str(v, "body"), kNow), v, "sha256=");
    ExpectRejected(ic->Verify(SigHeader("sha1="), Str(v, "body"), kNow), v, "empty hex");
    ExpectRejected(ic->Verify(SigHeader(value.substr(0, value.size() - 1)), Str(v, "body"), kNow), v,
                   "truncated");
  }
}

TEST(IntercomSignature, MissingHeaderIsRejected) {
  const auto v = SignatureVectors("intercom")[0];
  auto ic = IntercomWith(Str(v, "secret"));
  Status s = ic->Verify(HeaderMap{}, Str(v, "body"), kNow);
  ExpectRejected(s, v, "missing");
  EXPECT_NE(s.message().find("X-Hub-Signature"), std::string::npos);
  // A Zendesk signature header does not stand in for Intercom's.
  ExpectRejected(ic->Verify(HeaderMap{{"X-Zendesk-Webhook-Signature", "abc"}}, Str(v, "body"), kNow), v,
                 "other platform");
}

TEST(IntercomSignature, EmptyBody) {
  const auto v = SignatureVectors("intercom")[0];
  auto ic = IntercomWith(Str(v, "secret"));
  ExpectRejected(ic->Verify(HeadersOf(v), "", kNow), v, "empty body with vector signature");
  HeaderMap signed_empty = SigHeader(SignIntercom(Str(v, "secret"), ""));
  EXPECT_TRUE(ic->Verify(signed_empty, "", kNow).ok());
  EXPECT_EQ(ic->Parse(signed_empty, "").status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace deskhook
