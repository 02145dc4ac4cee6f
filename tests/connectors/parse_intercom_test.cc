// Intercom payload normalisation: every sample in reference/payloads/intercom and the errors.
#include <gtest/gtest.h>

#include <filesystem>

#include "connectors/connector.h"
#include "tests/connectors/test_util.h"

namespace deskhook {
namespace {

using testing::ReadFileOrFail;
using testing::Contains;
using testing::SharedPath;

std::unique_ptr<Connector> Intercom(std::string admin_id = "") {
  InstanceConfig c;
  c.name = "intercom-main";
  c.kind = "intercom";
  c.signing_secret = "s";
  c.admin_id = std::move(admin_id);
  return std::move(MakeConnector(c)).value();
}

std::string Sample(const std::string& file) {
  return ReadFileOrFail(SharedPath("reference/payloads/intercom/" + file));
}

InboundEvent ParseSample(const std::string& file) {
  auto r = Intercom()->Parse({}, Sample(file));
  EXPECT_TRUE(r.ok()) << file << ": " << r.status().ToString();
  return r.ok() ? std::move(r).value() : InboundEvent{};
}

TEST(IntercomParse, EverySampleParses) {
  int n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(SharedPath("reference/payloads/intercom"))) {
    if (entry.path().extension() != ".json") continue;
    InboundEvent ev = ParseSample(entry.path().filename().string());
    EXPECT_EQ(ev.ticket.platform, "intercom");
    EXPECT_EQ(ev.ticket.instance, "intercom-main");
    if (ev.kind != EventKind::kPing) {
      EXPECT_FALSE(ev.ticket.id.empty()) << entry.path();
      EXPECT_FALSE(ev.delivery_id.empty()) << entry.path();
    }
    ++n;
  }
  EXPECT_EQ(n, 6);
}

TEST(IntercomParse, UserCreatedAngry) {
  InboundEvent ev = ParseSample("conversation.user.created-angry.json");
  EXPECT_EQ(ev.kind, EventKind::kTicketCreated);
  EXPECT_EQ(ev.topic, "conversation.user.created");
  EXPECT_EQ(ev.delivery_id, "notif_1f6b3c52-8a11-4c5e-9a2e-7d41c2f0e001");
  EXPECT_EQ(ev.actor_id, "");
  const Ticket& t = ev.ticket;
  EXPECT_EQ(t.id, "2001");
  EXPECT_EQ(t.subject, "");  // messenger conversations have no subject
  EXPECT_EQ(t.requester.id, "6762f16e1bb69f9f2193bc01");
  EXPECT_EQ(t.requester.name, "Marco Rossi");
  EXPECT_EQ(t.requester.email, "marco.rossi@example.it");
  EXPECT_TRUE(t.tags.empty());
  EXPECT_EQ(t.priority, "");  // "not_priority"
  EXPECT_EQ(t.status, "open");
  EXPECT_EQ(t.channel, "chat");
  EXPECT_EQ(t.created_at_ms, 1795327272000LL);
  ASSERT_EQ(t.messages.size(), 1u);
  const Message& m = t.messages[0];
  EXPECT_EQ(m.role, AuthorRole::kCustomer);
  EXPECT_EQ(m.author_id, "6762f16e1bb69f9f2193bc01");
  EXPECT_EQ(m.body,
            "Your app deleted ALL my playlists after the update. Two years of work gone. This is "
            "unacceptable and I want an explanation NOW.");  // <p> stripped
  EXPECT_EQ(m.time_ms, 1795327272000LL);
}

TEST(IntercomParse, UserCreatedCalmAndPasswordReset) {
  InboundEvent calm = ParseSample("conversation.user.created-calm-question.json");
  EXPECT_EQ(calm.kind, EventKind::kTicketCreated);
  EXPECT_EQ(calm.ticket.id, "2002");
  EXPECT_EQ(calm.ticket.requester.email, "aiko.tanaka@example.jp");
  ASSERT_EQ(calm.ticket.messages.size(), 1u);
  EXPECT_TRUE(Contains(calm.ticket.messages[0].body, "export my listening history as a CSV file"));
  EXPECT_TRUE(Contains(calm.ticket.messages[0].body, "Thank you 🙂"));
  EXPECT_FALSE(Contains(calm.ticket.messages[0].body, "<p>"));

  InboundEvent reset = ParseSample("conversation.user.created-password-reset.json");
  EXPECT_EQ(reset.ticket.id, "2003");
  EXPECT_EQ(reset.ticket.requester.name, "Lena Fischer");
  EXPECT_EQ(reset.ticket.requester.email, "lena.fischer@example.de");
  ASSERT_EQ(reset.ticket.messages.size(), 1u);
  EXPECT_EQ(reset.ticket.messages[0].body, "How do I reset my password? The reset email never arrives.");
}

TEST(IntercomParse, UserRepliedCarriesTheNewPartLast) {
  InboundEvent ev = ParseSample("conversation.user.replied-angry-followup.json");
  EXPECT_EQ(ev.kind, EventKind::kCustomerReplied);
  EXPECT_EQ(ev.ticket.id, "2001");
  EXPECT_EQ(ev.actor_id, "");  // a customer, not a teammate
  ASSERT_EQ(ev.ticket.messages.size(), 2u);
  const Message& latest = ev.ticket.messages.back();
  EXPECT_EQ(latest.id, "9001");
  EXPECT_EQ(latest.role, AuthorRole::kCustomer);
  EXPECT_EQ(latest.body, "Still nothing?? I've been waiting 3 hours. Worst support ever.");
  EXPECT_EQ(latest.time_ms, 1795338000000LL);
  EXPECT_TRUE(latest.is_public);
}

TEST(IntercomParse, AdminAssignedWithTags) {
  InboundEvent ev = ParseSample("conversation.admin.assigned-with-tags.json");
  EXPECT_EQ(ev.kind, EventKind::kTicketUpdated);
  EXPECT_EQ(ev.topic, "conversation.admin.assigned");
  EXPECT_EQ(ev.actor_id, "991267715");
  const Ticket& t = ev.ticket;
  EXPECT_EQ(t.id, "2001");
  EXPECT_EQ(t.tags, (std::vector<std::string>{"sentiment_negative", "escalated"}));
  EXPECT_EQ(t.group_id, "5017691");  // team_assignee_id arrives as a number
  EXPECT_EQ(t.assignee.id, "");
  EXPECT_EQ(t.requester.email, "marco.rossi@example.it");
  ASSERT_EQ(t.messages.size(), 2u);
  EXPECT_EQ(t.messages[1].role, AuthorRole::kAgent);
  EXPECT_EQ(t.messages[1].author_id, "991267715");
  EXPECT_FALSE(t.messages[1].is_public);  // assignment notes are for teammates only
  EXPECT_EQ(t.messages[1].body, "Auto-routed by sentiment bot (score -0.91).");
}

TEST(IntercomParse, Ping) {
  InboundEvent ev = ParseSample("ping.json");
  EXPECT_EQ(ev.kind, EventKind::kPing);
  EXPECT_EQ(ev.topic, "ping");
  EXPECT_EQ(ev.delivery_id, "");  // "id": null
  EXPECT_TRUE(ev.ticket.messages.empty());
}

TEST(IntercomParse, TopicsMapToKinds) {
  auto kind_of = [](const std::string& topic) {
    std::string b = R"({"type":"notification_event","id":"notif_x","topic":")" + topic +
                    R"(","data":{"item":{"type":"conversation","id":"7","priority":"priority","state":"snoozed",)"
                    R"("conversation_parts":{"conversation_parts":[{"part_type":"note","body":"<p>internal</p>",)"
                    R"("author":{"type":"admin","id":"42"}}]}}}})";
    auto r = Intercom()->Parse({}, b);
    EXPECT_TRUE(r.ok()) << topic << r.status().ToString();
    return r.ok() ? r.value() : InboundEvent{};
  };
  EXPECT_EQ(kind_of("conversation.user.created").kind, EventKind::kTicketCreated);
  EXPECT_EQ(kind_of("conversation.user.replied").kind, EventKind::kCustomerReplied);
  EXPECT_EQ(kind_of("conversation.admin.replied").kind, EventKind::kAgentReplied);
  EXPECT_EQ(kind_of("conversation.admin.noted").kind, EventKind::kTicketUpdated);
  EXPECT_EQ(kind_of("conversation.admin.closed").kind, EventKind::kTicketUpdated);
  EXPECT_EQ(kind_of("conversation_part.tag.created").kind, EventKind::kTicketUpdated);
  InboundEvent noted = kind_of("conversation.admin.noted");
  EXPECT_EQ(noted.ticket.priority, "high");
  EXPECT_EQ(noted.ticket.status, "snoozed");
  ASSERT_EQ(noted.ticket.messages.size(), 1u);
  EXPECT_FALSE(noted.ticket.messages[0].is_public);
  EXPECT_EQ(noted.ticket.messages[0].body, "internal");
  EXPECT_EQ(noted.actor_id, "42");
}

TEST(IntercomParse, MalformedJsonIsInvalidArgument) {
  auto ic = Intercom();
  for (std::string bad : {"", "{", "null", "[]", "{\"type\":\"notification_event\",\"topic\":\"ping\""}) {
    EXPECT_EQ(ic->Parse({}, bad).status().code(), Code::kInvalidArgument) << bad;
  }
  std::string truncated = Sample("conversation.user.created-angry.json");
  truncated.resize(truncated.size() / 2);
  EXPECT_EQ(ic->Parse({}, truncated).status().code(), Code::kInvalidArgument);
}

TEST(IntercomParse, UnknownShapesAreInvalidArgument) {
  auto ic = Intercom();
  for (std::string bad : {
           R"({"topic":"ping","id":"n"})",                                   // no envelope type
           R"({"type":"notification_event","id":"n"})",                      // no topic
           R"({"type":"notification_event","topic":"contact.created","data":{"item":{"id":"1"}}})",
           R"({"type":"notification_event","topic":"conversation.user.created"})",  // no item
           R"({"type":"notification_event","topic":"conversation.user.created","data":{"item":{"type":"contact","id":"1"}}})",
           R"({"type":"notification_event","topic":"conversation.user.created","data":{"item":{"type":"conversation"}}})",
           R"({"source":"zendesk-trigger","event":"ticket.created","ticket":{"id":"1"}})",  // Zendesk body
       }) {
    auto r = ic->Parse({}, bad);
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << bad;
  }
}

TEST(IntercomParse, LoopGuard) {
  InboundEvent assigned = ParseSample("conversation.admin.assigned-with-tags.json");
  EXPECT_TRUE(Intercom("991267715")->IsOwnChange(assigned));
  EXPECT_FALSE(Intercom("123")->IsOwnChange(assigned));
  EXPECT_FALSE(Intercom("")->IsOwnChange(assigned));
  InboundEvent replied = ParseSample("conversation.user.replied-angry-followup.json");
  EXPECT_FALSE(Intercom("991267715")->IsOwnChange(replied));
  // A marked note from another admin (e.g. deskhook acting through a different token).
  assigned.ticket.messages.back().body = "[deskhook] routed to Escalations";
  EXPECT_TRUE(Intercom("123")->IsOwnChange(assigned));
  replied.ticket.messages.back().body = "[deskhook] please stop";  // a customer typing it
  EXPECT_FALSE(Intercom("123")->IsOwnChange(replied));
}

// Truncations and byte flips of every sample: Parse never throws and answers either a parsed
// event or InvalidArgument.
TEST(IntercomParse, CorruptedSamplesNeverThrow) {
  EXPECT_GT(testing::RejectedCorruptions(*Intercom(), "reference/payloads/intercom"), 100);
}

}  // namespace
}  // namespace deskhook
