// Zendesk payload normalisation: every sample in reference/payloads/zendesk, both body shapes,
// and the error cases.
#include <gtest/gtest.h>

#include <filesystem>

#include "connectors/connector.h"
#include "tests/connectors/test_util.h"

namespace deskhook {
namespace {

using testing::ReadFileOrFail;
using testing::Contains;
using testing::SharedPath;

std::unique_ptr<Connector> Zendesk(std::string self_user_id = "") {
  InstanceConfig c;
  c.name = "zendesk-eu";
  c.kind = "zendesk";
  c.signing_secret = "s";
  c.self_user_id = std::move(self_user_id);
  return std::move(MakeConnector(c)).value();
}

InboundEvent ParseSample(const std::string& file, HeaderMap headers = {}) {
  std::string body = ReadFileOrFail(SharedPath("reference/payloads/zendesk/" + file));
  auto r = Zendesk()->Parse(headers, body);
  EXPECT_TRUE(r.ok()) << file << ": " << r.status().ToString();
  return r.ok() ? std::move(r).value() : InboundEvent{};
}

TEST(ZendeskParse, EverySampleParses) {
  int n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(SharedPath("reference/payloads/zendesk"))) {
    if (entry.path().extension() != ".json") continue;
    InboundEvent ev = ParseSample(entry.path().filename().string());
    EXPECT_FALSE(ev.ticket.id.empty()) << entry.path();
    EXPECT_EQ(ev.ticket.platform, "zendesk");
    EXPECT_EQ(ev.ticket.instance, "zendesk-eu");
    EXPECT_FALSE(ev.ticket.messages.empty()) << entry.path();
    ++n;
  }
  EXPECT_EQ(n, 5);
}

TEST(ZendeskParse, TriggerCreatedAngry) {
  InboundEvent ev = ParseSample("trigger-ticket-created-angry.json",
                                HeaderMap{{"x-zendesk-webhook-invocation-id", "8350205582"}});
  EXPECT_EQ(ev.kind, EventKind::kTicketCreated);
  EXPECT_EQ(ev.topic, "ticket.created");
  EXPECT_EQ(ev.delivery_id, "8350205582");
  const Ticket& t = ev.ticket;
  EXPECT_EQ(t.id, "48213");
  EXPECT_EQ(t.subject, "THIRD time asking - where is my refund???");
  EXPECT_EQ(t.requester.id, "39011774455");
  EXPECT_EQ(t.requester.name, "Dana Whitfield");
  EXPECT_EQ(t.requester.email, "dana.whitfield@example.net");
  EXPECT_EQ(t.tags, (std::vector<std::string>{"refund", "returns"}));
  EXPECT_EQ(t.status, "new");
  EXPECT_EQ(t.priority, "");
  EXPECT_EQ(t.channel, "email");
  EXPECT_EQ(t.assignee.id, "");
  EXPECT_EQ(t.group_id, "");
  EXPECT_EQ(t.url, "https://example.zendesk.com/agent/tickets/48213");
  EXPECT_EQ(t.created_at_ms, 1795327272000LL);
  ASSERT_EQ(t.messages.size(), 1u);  // description == latest_comment: one message
  EXPECT_EQ(t.messages[0].role, AuthorRole::kCustomer);
  EXPECT_EQ(t.messages[0].author_id, "39011774455");
  EXPECT_TRUE(Contains(t.messages[0].body, "STILL have not been refunded"));
  EXPECT_TRUE(Contains(t.messages[0].body, "chargeback"));
  EXPECT_EQ(t.messages[0].time_ms, 1795327272000LL);
  EXPECT_TRUE(t.messages[0].is_public);
}

TEST(ZendeskParse, TriggerCreatedCalmQuestion) {
  InboundEvent ev = ParseSample("trigger-ticket-created-calm-question.json");
  EXPECT_EQ(ev.kind, EventKind::kTicketCreated);
  EXPECT_EQ(ev.delivery_id, "");  // no invocation header, no body id: host dedupes by hash
  EXPECT_EQ(ev.ticket.id, "48214");
  EXPECT_EQ(ev.ticket.subject, "Question about the warranty on the X200");
  EXPECT_EQ(ev.ticket.requester.email, "tomas.ibanez@example.org");
  EXPECT_EQ(ev.ticket.requester.name, "Tomás Ibáñez");
  EXPECT_TRUE(ev.ticket.tags.empty());
  EXPECT_EQ(ev.ticket.group_id, "360000111222");
  EXPECT_EQ(ev.ticket.group_name, "Tier 1");
  EXPECT_EQ(ev.ticket.channel, "web");
  ASSERT_EQ(ev.ticket.messages.size(), 1u);
  EXPECT_TRUE(Contains(ev.ticket.messages[0].body, "two-year warranty also covers the battery"));
}

TEST(ZendeskParse, TriggerCreatedPasswordReset) {
  InboundEvent ev = ParseSample("trigger-ticket-created-password-reset.json");
  EXPECT_EQ(ev.ticket.id, "48215");
  EXPECT_EQ(ev.ticket.subject, "how do i reset my password");
  EXPECT_EQ(ev.ticket.requester.email, "priya.n@example.com");
  EXPECT_EQ(ev.ticket.channel, "mobile");
  ASSERT_EQ(ev.ticket.messages.size(), 1u);
  EXPECT_TRUE(Contains(ev.ticket.messages[0].body, "reset my password"));
}

TEST(ZendeskParse, TriggerUpdatedWithTags) {
  InboundEvent ev = ParseSample("trigger-ticket-updated-tags.json");
  EXPECT_EQ(ev.kind, EventKind::kTicketUpdated);
  EXPECT_EQ(ev.topic, "ticket.updated");
  const Ticket& t = ev.ticket;
  EXPECT_EQ(t.id, "48213");
  EXPECT_EQ(t.tags, (std::vector<std::string>{"refund", "returns", "sentiment_negative", "escalated", "vip"}));
  EXPECT_EQ(t.status, "open");
  EXPECT_EQ(t.priority, "high");
  EXPECT_EQ(t.assignee.id, "39011700001");
  EXPECT_EQ(t.assignee.name, "Sam Okafor");
  EXPECT_EQ(t.group_id, "360000333444");
  EXPECT_EQ(t.group_name, "Escalations");
  EXPECT_EQ(t.updated_at_ms, 1795328695000LL);
  // Description (first customer message) then the latest comment, whose author the sample's
  // template does not name: not attributed to anyone.
  ASSERT_EQ(t.messages.size(), 2u);
  EXPECT_EQ(t.messages[0].role, AuthorRole::kCustomer);
  EXPECT_TRUE(Contains(t.messages[1].body, "order number is #A-99812"));
  EXPECT_EQ(t.messages[1].role, AuthorRole::kSystem);
  EXPECT_EQ(t.messages[1].time_ms, 1795328695000LL);
  EXPECT_EQ(ev.actor_id, "");
}

TEST(ZendeskParse, EventSubscribedTicketCreated) {
  InboundEvent ev = ParseSample("event-ticket-created.json");
  EXPECT_EQ(ev.kind, EventKind::kTicketCreated);
  EXPECT_EQ(ev.topic, "ticket.created");
  EXPECT_EQ(ev.delivery_id, "0b6a7c1e-4f3d-4e0e-9d6b-2f1f0c9a7a11");  // body id, no header
  EXPECT_EQ(ev.actor_id, "39011774455");
  const Ticket& t = ev.ticket;
  EXPECT_EQ(t.id, "48213");
  EXPECT_EQ(t.subject, "THIRD time asking - where is my refund???");
  EXPECT_EQ(t.requester.id, "39011774455");
  EXPECT_EQ(t.tags, (std::vector<std::string>{"refund", "returns"}));
  EXPECT_EQ(t.status, "new");
  EXPECT_EQ(t.priority, "");
  EXPECT_EQ(t.channel, "email");
  EXPECT_EQ(t.assignee.id, "");
  EXPECT_EQ(t.created_at_ms, 1795327272000LL);
  ASSERT_EQ(t.messages.size(), 1u);
  EXPECT_EQ(t.messages[0].role, AuthorRole::kCustomer);
  EXPECT_TRUE(Contains(t.messages[0].body, "STILL have not been refunded"));
}

TEST(ZendeskParse, InvocationHeaderWinsOverEventId) {
  InboundEvent ev = ParseSample("event-ticket-created.json",
                                HeaderMap{{"X-Zendesk-Webhook-Invocation-Id", "77"}});
  EXPECT_EQ(ev.delivery_id, "77");
}

TEST(ZendeskParse, EventCommentAddedByCustomerAndAgent) {
  auto body = [](bool staff, bool is_public) {
    return std::string(R"({"type":"zen:event-type:ticket.comment_added","account_id":1,"id":"e1",)") +
           R"("time":"2026-11-22T07:00:00Z","subject":"zen:ticket:9",)" +
           R"("detail":{"id":"9","subject":"S","requester_id":"100","actor_id":"200","status":"OPEN","priority":"URGENT","tags":[]},)" +
           R"("event":{"comment":{"id":"c1","body":"Thanks, that fixed it","is_public":)" +
           (is_public ? "true" : "false") + R"(,"author":{"id":"200","is_staff":)" +
           (staff ? "true" : "false") + R"(,"name":"X"}}}})";
  };
  auto zd = Zendesk();
  auto customer = zd->Parse({}, body(false, true));
  ASSERT_TRUE(customer.ok()) << customer.status().ToString();
  EXPECT_EQ(customer->kind, EventKind::kCustomerReplied);
  EXPECT_EQ(customer->ticket.priority, "urgent");
  EXPECT_EQ(customer->ticket.status, "open");
  ASSERT_EQ(customer->ticket.messages.size(), 1u);
  EXPECT_EQ(customer->ticket.messages[0].body, "Thanks, that fixed it");
  EXPECT_EQ(customer->ticket.messages[0].id, "c1");
  EXPECT_EQ(customer->ticket.messages[0].time_ms, 1795330800000LL);
  auto agent = zd->Parse({}, body(true, true));
  ASSERT_TRUE(agent.ok());
  EXPECT_EQ(agent->kind, EventKind::kAgentReplied);
  EXPECT_EQ(agent->ticket.messages[0].role, AuthorRole::kAgent);
  auto note = zd->Parse({}, body(true, false));
  ASSERT_TRUE(note.ok());
  EXPECT_EQ(note->kind, EventKind::kTicketUpdated);
  EXPECT_FALSE(note->ticket.messages[0].is_public);
}

TEST(ZendeskParse, TriggerCurrentUserNamesTheAuthor) {
  std::string base = R"({"source":"zendesk-trigger","event":"ticket.updated","current_user":{"id":"%ID%","name":"N"},)"
                     R"("ticket":{"id":"5","description":"first","latest_comment":"second","tags":"a",)"
                     R"("requester":{"id":"100"}}})";
  auto with = [&](const std::string& id) {
    std::string b = base;
    b.replace(b.find("%ID%"), 4, id);
    return Zendesk()->Parse({}, b);
  };
  auto by_customer = with("100");
  ASSERT_TRUE(by_customer.ok());
  EXPECT_EQ(by_customer->actor_id, "100");
  EXPECT_EQ(by_customer->ticket.messages.back().role, AuthorRole::kCustomer);
  auto by_agent = with("300");
  ASSERT_TRUE(by_agent.ok());
  EXPECT_EQ(by_agent->ticket.messages.back().role, AuthorRole::kAgent);
  EXPECT_EQ(by_agent->ticket.messages.back().author_id, "300");

  auto replied = Zendesk()->Parse({}, R"({"source":"zendesk-trigger","event":"ticket.customer_replied",)"
                                      R"("ticket":{"id":"5","description":"a","latest_comment":"b","requester":{"id":"100"}}})");
  ASSERT_TRUE(replied.ok());
  EXPECT_EQ(replied->kind, EventKind::kCustomerReplied);
  EXPECT_EQ(replied->ticket.messages.back().role, AuthorRole::kCustomer);
  EXPECT_EQ(replied->ticket.messages.back().author_id, "100");
}

TEST(ZendeskParse, MalformedJsonIsInvalidArgument) {
  auto zd = Zendesk();
  for (std::string bad : {"", "   ", "{", "not json", "{\"source\":\"zendesk-trigger\",}", "[1,2,3]",
                          "\"string\"", "{\"a\":1}{\"b\":2}"}) {
    auto r = zd->Parse({}, bad);
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << bad;
    EXPECT_FALSE(r.status().message().empty());
  }
  // A placeholder that rendered an unescaped quote breaks the JSON: rejected, not guessed.
  std::string body = ReadFileOrFail(SharedPath("reference/payloads/zendesk/trigger-ticket-created-angry.json"));
  body.replace(body.find("ridiculous"), 10, "\"ridiculous\"");
  EXPECT_EQ(zd->Parse({}, body).status().code(), Code::kInvalidArgument);
}

TEST(ZendeskParse, UnknownShapesAreInvalidArgument) {
  auto zd = Zendesk();
  for (std::string bad : {
           R"({"ticket_id":"35436","subject":"Printer on fire","status":"new"})",  // signature vector body
           R"({"source":"zendesk-trigger","event":"ticket.created"})",               // no ticket
           R"({"source":"zendesk-trigger","event":"ticket.created","ticket":{"subject":"x"}})",  // no id
           R"({"source":"zendesk-trigger","event":"user.created","ticket":{"id":"1"}})",
           R"({"source":"zendesk-trigger","event":"ticket.created","ticket":"1"})",
           R"({"type":"zen:event-type:user.created","id":"x","detail":{"id":"1"}})",
           R"({"type":"zen:event-type:ticket.created","id":"x"})",
           R"({"type":"zen:event-type:ticket.created","id":"x","detail":{"subject":"no id"}})",
           R"({"type":"notification_event","topic":"ping"})",  // Intercom body at a Zendesk hook
       }) {
    auto r = zd->Parse({}, bad);
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << bad;
  }
}

TEST(ZendeskParse, LoopGuard) {
  InboundEvent ev = ParseSample("event-ticket-created.json");
  EXPECT_FALSE(Zendesk("")->IsOwnChange(ev));  // no self user configured: never own by actor
  EXPECT_FALSE(Zendesk("1")->IsOwnChange(ev));
  EXPECT_TRUE(Zendesk("39011774455")->IsOwnChange(ev));

  // Deskhook's note comes back through a trigger whose template names no author.
  InboundEvent note = ParseSample("trigger-ticket-updated-tags.json");
  note.ticket.messages.back().body = "[deskhook] escalated: frustration 0.82";
  EXPECT_TRUE(Zendesk()->IsOwnChange(note));
  note.ticket.messages.back().role = AuthorRole::kCustomer;  // a customer typing the marker
  EXPECT_FALSE(Zendesk()->IsOwnChange(note));
  InboundEvent plain = ParseSample("trigger-ticket-updated-tags.json");
  EXPECT_FALSE(Zendesk()->IsOwnChange(plain));
}

// Truncations and byte flips of every sample: Parse never throws and answers either a parsed
// event or InvalidArgument.
TEST(ZendeskParse, CorruptedSamplesNeverThrow) {
  EXPECT_GT(testing::RejectedCorruptions(*Zendesk(), "reference/payloads/zendesk"), 100);
}

}  // namespace
}  // namespace deskhook
