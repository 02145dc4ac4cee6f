// Intercom call builder: tag-id captures, assignment parts, one note with a marker, draft
// articles, priority only on Preview; every body checked strictly against the 2.14 / Preview
// schemas (Prism does not validate POST /articles on 2.14 at all).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "connectors/intercom/intercom_calls.h"
#include "connectors/intercom/intercom_connector.h"
#include "tests/connectors/prism_fixture.h"

namespace deskhook {
namespace {

namespace json = boost::json;
using testing::EveryDecisionKind;
using testing::IntercomTestConfig;

Ticket ITicket(std::string id = "215469872345") { return testing::TestTicket("intercom", std::move(id)); }
DecisionSet All() { return testing::AllDecisions(); }

std::string Kinds(const std::vector<ApiCall>& calls) {
  std::string out;
  for (const auto& c : calls) out += (out.empty() ? "" : ",") + c.kind;
  return out;
}

TEST(IntercomCalls, EveryDecisionKindInSendOrder) {
  auto plan = PlanIntercomCalls(IntercomTestConfig("2.14"), ITicket(), All(), "evt-1");
  EXPECT_EQ(Kinds(plan.calls),
            "tag_resolve,tag,tag_resolve,tag,tag_resolve,untag,assign,assign,note,article,article");
  ASSERT_EQ(plan.skipped.size(), 1u);  // priority on 2.14
  EXPECT_NE(plan.skipped[0].find("no writable conversation priority"), std::string::npos);
  for (const auto& c : plan.calls) {
    EXPECT_NE(std::find(c.headers.begin(), c.headers.end(),
                        std::pair<std::string, std::string>{"Intercom-Version", "2.14"}),
              c.headers.end());
  }
}

TEST(IntercomCalls, TagsAreResolvedToIdsThroughCaptures) {
  DecisionSet d;
  d.add_tags = {"vip"};
  d.remove_tags = {"needs_triage"};
  auto calls = BuildIntercomCalls(IntercomTestConfig("2.14"), ITicket(), d, "evt");
  ASSERT_EQ(calls.size(), 4u);
  EXPECT_EQ(calls[0].method + " " + calls[0].path + " " + calls[0].body, R"(POST /tags {"name":"vip"})");
  EXPECT_EQ(calls[0].capture_pointer, "/id");
  EXPECT_EQ(calls[0].capture_as, "tag_0");
  EXPECT_EQ(calls[1].method + " " + calls[1].path + " " + calls[1].body,
            R"(POST /conversations/215469872345/tags {"id":"{{tag_0}}","admin_id":"991267715"})");
  EXPECT_EQ(calls[2].body, R"({"name":"needs_triage"})");
  EXPECT_EQ(calls[2].capture_as, "untag_0");
  EXPECT_EQ(calls[3].method + " " + calls[3].path + " " + calls[3].body,
            R"(DELETE /conversations/215469872345/tags/{{untag_0}} {"admin_id":"991267715"})");
  EXPECT_TRUE(calls[1].capture_as.empty());
}

TEST(IntercomCalls, AssignTeamAndAdminThroughParts) {
  DecisionSet d;
  d.group_id = "5017691";
  d.assignee_id = "991267716";
  auto calls = BuildIntercomCalls(IntercomTestConfig("2.14"), ITicket(), d, "evt");
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].path, "/conversations/215469872345/parts");
  EXPECT_EQ(calls[0].body,
            R"({"message_type":"assignment","type":"team","admin_id":"991267715","assignee_id":"5017691"})");
  EXPECT_EQ(calls[1].body,
            R"({"message_type":"assignment","type":"admin","admin_id":"991267715","assignee_id":"991267716"})");
}

TEST(IntercomCalls, NotesBecomeOneHtmlNoteWithAMarker) {
  DecisionSet d;
  d.notes = {"a < b & c", "line1\nline2"};
  auto calls = BuildIntercomCalls(IntercomTestConfig("2.14"), ITicket(), d, "evt");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].path, "/conversations/215469872345/reply");
  const json::object b = json::parse(calls[0].body).as_object();
  EXPECT_EQ(b.at("message_type").as_string(), "note");
  EXPECT_EQ(b.at("type").as_string(), "admin");
  EXPECT_EQ(b.at("admin_id").as_string(), "991267715");
  const std::string html(b.at("body").as_string());
  const auto marker = FindEffectMarker(html);
  ASSERT_TRUE(marker.has_value());
  EXPECT_EQ(html, "<p>a &lt; b &amp; c</p><p>line1<br>line2</p><p>" + *marker + "</p>");
}

TEST(IntercomCalls, PriorityOnlyWithPreviewVersion) {
  DecisionSet d;
  d.priority = "normal";
  auto plan = PlanIntercomCalls(IntercomTestConfig("2.14"), ITicket(), d, "evt");
  EXPECT_TRUE(plan.calls.empty());
  ASSERT_EQ(plan.skipped.size(), 1u);
  plan = PlanIntercomCalls(IntercomTestConfig("Preview"), ITicket(), d, "evt");
  ASSERT_EQ(plan.calls.size(), 1u);
  EXPECT_EQ(plan.calls[0].method + " " + plan.calls[0].path, "PUT /conversations/215469872345");
  EXPECT_EQ(plan.calls[0].body, R"({"priority":"medium","admin_id":"991267715"})");
  d.priority = "blocker";
  plan = PlanIntercomCalls(IntercomTestConfig("Preview"), ITicket(), d, "evt");
  EXPECT_TRUE(plan.calls.empty());
  EXPECT_EQ(plan.skipped.size(), 1u);
}

TEST(IntercomCalls, DraftArticleIsNeverPublished) {
  DecisionSet d;
  d.drafts.push_back({"How do I reset my password?", "<p>Steps</p>", "", {}});
  auto calls = BuildIntercomCalls(IntercomTestConfig("2.14"), ITicket(""), d, "evt");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].method + " " + calls[0].path, "POST /articles");
  const json::object b = json::parse(calls[0].body).as_object();
  EXPECT_EQ(b.at("state").as_string(), "draft");
  ASSERT_TRUE(b.at("author_id").is_int64());
  EXPECT_EQ(b.at("author_id").as_int64(), 991267715);
  EXPECT_EQ(b.at("parent_id").as_int64(), 18);
  EXPECT_EQ(b.at("parent_type").as_string(), "collection");
  EXPECT_TRUE(FindEffectMarker(b.at("body").as_string()).has_value());

  auto config = IntercomTestConfig("2.14");
  config.article_author_id = "";
  auto plan = PlanIntercomCalls(config, ITicket(), d, "evt");
  EXPECT_TRUE(plan.calls.empty());
  EXPECT_EQ(plan.skipped.size(), 1u);
}

TEST(IntercomCalls, MissingAdminIdOrConversationIdSkipsConversationCalls) {
  auto config = IntercomTestConfig("2.14");
  config.admin_id = "";
  auto plan = PlanIntercomCalls(config, ITicket(), All(), "evt");
  EXPECT_EQ(Kinds(plan.calls), "article,article");  // drafts need no conversation
  ASSERT_FALSE(plan.skipped.empty());
  EXPECT_NE(plan.skipped[0].find("admin_id"), std::string::npos);
  plan = PlanIntercomCalls(IntercomTestConfig("2.14"), ITicket(""), All(), "evt");
  EXPECT_EQ(Kinds(plan.calls), "article,article");
}

TEST(IntercomCalls, IdempotencyKeysStableAndDistinct) {
  const auto a = BuildIntercomCalls(IntercomTestConfig("2.14"), ITicket(), All(), "evt-1");
  const auto b = BuildIntercomCalls(IntercomTestConfig("2.14"), ITicket(), All(), "evt-1");
  const auto c = BuildIntercomCalls(IntercomTestConfig("2.14"), ITicket(), All(), "evt-2");
  std::set<std::string> keys;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].idempotency_key, b[i].idempotency_key);
    EXPECT_NE(a[i].idempotency_key, c[i].idempotency_key);
    keys.insert(a[i].idempotency_key);
  }
  EXPECT_EQ(keys.size(), a.size());  // the two identical POST /tags-shaped calls differ by index
}

TEST(IntercomCalls, EffectChecksForNotesAndArticlesOnly) {
  const auto calls = BuildIntercomCalls(IntercomTestConfig("2.14"), ITicket(), All(), "evt-1");
  int checks = 0;
  for (const auto& c : calls) {
    const auto check = BuildIntercomEffectCheck(IntercomTestConfig("2.14"), c);
    if (c.kind == "note") {
      ASSERT_TRUE(check.has_value());
      EXPECT_EQ(check->method + " " + check->path, "GET /conversations/215469872345");
      const std::string marker = *FindEffectMarker(c.body);
      const std::string with = R"({"type":"conversation","conversation_parts":{"conversation_parts":[)"
                               R"({"part_type":"note","body":"<p>x</p><p>)" + marker + R"(</p>"}]}})";
      EXPECT_TRUE(EffectPresentInResponse(c, with));
      EXPECT_FALSE(EffectPresentInResponse(c, R"({"type":"conversation","conversation_parts":{}})"));
      ++checks;
    } else if (c.kind == "article") {
      ASSERT_TRUE(check.has_value());
      EXPECT_EQ(check->path.rfind("/articles/search?phrase=", 0), 0u);
      EXPECT_NE(check->path.find("&state=draft"), std::string::npos);
      ++checks;
    } else {
      EXPECT_FALSE(check.has_value()) << c.kind;
    }
  }
  EXPECT_EQ(checks, 3);
}

// ---- strict checks against the specs ----

class IntercomSpecCheck : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (testing::PrismBinary().empty()) return;
    auto v214 = testing::SpecDoc::Load(testing::SharedPath("specs/intercom/api.intercom.io.2.14.yaml"));
    auto prev = testing::SpecDoc::Load(testing::SharedPath("specs/intercom/api.intercom.io.preview.yaml"));
    if (v214.ok()) v214_ = new testing::SpecDoc(std::move(v214).value());
    if (prev.ok()) preview_ = new testing::SpecDoc(std::move(prev).value());
  }
  void SetUp() override {
    ASSERT_FALSE(testing::PrismBinary().empty()) << testing::PrismMissingMessage();
    ASSERT_NE(v214_, nullptr);
    ASSERT_NE(preview_, nullptr);
  }
  void CheckAll(const testing::SpecDoc& spec, const std::string& version) {
    int checked = 0;
    for (const auto& [name, d] : EveryDecisionKind()) {
      for (const ApiCall& c : BuildIntercomCalls(IntercomTestConfig(version), ITicket(), d, "evt-" + name)) {
        SCOPED_TRACE(version + " " + name + ": " + c.method + " " + c.path + " " + c.body);
        ASSERT_TRUE(spec.HasOperation(c.method, c.path));
        const auto* schema = spec.RequestSchema(c.method, c.path);
        ASSERT_NE(schema, nullptr);
        EXPECT_EQ(spec.Check(*schema, json::parse(c.body)), std::vector<std::string>{});
        ++checked;
      }
    }
    EXPECT_GE(checked, 15);
  }
  static inline testing::SpecDoc* v214_ = nullptr;
  static inline testing::SpecDoc* preview_ = nullptr;
};

TEST_F(IntercomSpecCheck, EveryBuiltBodyMatches214Strictly) { CheckAll(*v214_, "2.14"); }
TEST_F(IntercomSpecCheck, EveryBuiltBodyMatchesPreviewStrictly) { CheckAll(*preview_, "Preview"); }

TEST_F(IntercomSpecCheck, StrictCheckCatchesBrokenArticlesThatPrismPasses) {
  const auto* schema = v214_->RequestSchema("POST", "/articles");
  ASSERT_NE(schema, nullptr);
  // contract-testing.md E2: Prism answers 200 to this on 2.14.
  const auto e = v214_->Check(*schema, json::parse(R"({"body":"x","author_id":"me","state":"pending"})"));
  EXPECT_GE(e.size(), 3u);  // missing title, author_id type, state enum
  EXPECT_FALSE(v214_->Check(*schema, json::parse(R"({"title":"t","author_id":1,"stat":"draft"})")).empty());
  const auto* tags = v214_->RequestSchema("POST", "/conversations/1/tags");
  EXPECT_FALSE(v214_->Check(*tags, json::parse(R"({"id":"1","admin_id":"2","bogus":true})")).empty());
  const auto* parts = v214_->RequestSchema("POST", "/conversations/1/parts");
  EXPECT_FALSE(v214_->Check(*parts, json::parse(
      R"({"message_type":"assignment","type":"robot","admin_id":"1","assignee_id":"2"})")).empty());
}


TEST(IntercomCalls, TheConnectorItselfChecksNotesAndTakesA404UntagAsDone) {
  InstanceConfig config = IntercomTestConfig("2.14");
  config.signing_secret = "test-signing-secret";
  auto connector = MakeIntercomConnector(config);
  ASSERT_TRUE(connector.ok()) << connector.status().message();
  const auto calls = BuildIntercomCalls(IntercomTestConfig("2.14"), ITicket(), All(), "evt-1");
  int notes = 0, untags = 0;
  for (const auto& c : calls) {
    if (c.kind == "note") {
      ++notes;
      ASSERT_TRUE((*connector)->BuildEffectCheck(c).has_value());
      EXPECT_FALSE((*connector)->EffectPresent(c, R"({"type":"conversation","conversation_parts":{}})"));
    }
    if (c.kind == "untag") {
      ++untags;
      EXPECT_TRUE((*connector)->AnswerMeansDone(c, 404));   // the tag is not there: nothing to remove
      EXPECT_FALSE((*connector)->AnswerMeansDone(c, 400));  // a wrong request stays a dead letter
    } else {
      EXPECT_FALSE((*connector)->AnswerMeansDone(c, 404)) << c.kind;
    }
  }
  EXPECT_GT(notes, 0);
  EXPECT_GT(untags, 0);
}

}  // namespace
}  // namespace deskhook
