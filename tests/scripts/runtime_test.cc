// Runtime behaviour: merging, ordering, fallback, records, kv, reload.
#include <gtest/gtest.h>

#include <thread>

#include <boost/json.hpp>

#include "script_test_util.h"

namespace deskhook::scripts {
namespace {

namespace json = boost::json;
using testing::Event;
using testing::HasTag;
using testing::TempDir;
using testing::TypicalTicket;

std::unique_ptr<Runtime> Make(const RuntimeConfig& c, KvStore* kv = nullptr) {
  auto rt = Runtime::Create(c, kv);
  EXPECT_TRUE(rt.ok()) << rt.status().ToString();
  return rt.ok() ? std::move(rt.value()) : nullptr;
}

TEST(Runtime, ScriptsRunInOrderAndSeeEarlierDecisions) {
  TempDir dir;
  RuntimeConfig c;
  c.script_paths = {
      dir.Write("a.lua",
                "function on_customer_reply(t, ctx)\n"
                "  tag('vip', 'temp')\n  assign{group = 'tier1'}\n  priority('normal')\nend\n"),
      dir.Write("b.lua",
                "function on_customer_reply(t, ctx)\n"
                "  local d = ctx.decisions\n"
                "  if d.tagged.vip and d.group == 'tier1' then assign{group = 'vip-desk', agent = 42} end\n"
                "  untag('temp')\n  priority('urgent')\n  note('seen ' .. #d.tags .. ' tags')\nend\n")};
  auto rt = Make(c);
  ASSERT_TRUE(rt);
  Ticket t = TypicalTicket();
  RunResult r = rt->Run(Event(t, EventKind::kCustomerReplied));
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].handler, "on_customer_reply");
  EXPECT_EQ(r.decisions.group_id, "vip-desk");
  EXPECT_EQ(r.decisions.assignee_id, "42");
  EXPECT_EQ(r.decisions.priority, "urgent");
  EXPECT_EQ(r.decisions.add_tags, std::vector<std::string>{"vip"});
  EXPECT_EQ(r.decisions.remove_tags, std::vector<std::string>{"temp"});
  EXPECT_EQ(r.decisions.notes, std::vector<std::string>{"seen 2 tags"});
  EXPECT_FALSE(r.fallback_applied);
}

TEST(Runtime, EscalateExpandsToTheConfiguredBundle) {
  TempDir dir;
  RuntimeConfig c;
  c.escalate.tags = {"escalation", "angry"};
  c.escalate.group_id = "tier2";
  c.escalate.priority = "urgent";
  c.script_paths = {dir.Write("esc.lua",
                              "function on_ticket_created(t, ctx)\n"
                              "  if t.sentiment.frustration > 0.5 then escalate{reason = 'frustrated'} end\nend\n")};
  auto rt = Make(c);
  Ticket t = TypicalTicket();
  RunResult r = rt->Run(Event(t));
  EXPECT_TRUE(HasTag(r.decisions, "escalation"));
  EXPECT_TRUE(HasTag(r.decisions, "angry"));
  EXPECT_EQ(r.decisions.group_id, "tier2");
  EXPECT_EQ(r.decisions.priority, "urgent");
  ASSERT_EQ(r.decisions.notes.size(), 1u);
  EXPECT_EQ(r.decisions.notes[0], "Escalated by esc.lua: frustrated");
  json::value d = json::parse(r.records[0].decisions_json);
  EXPECT_EQ(d.at(0).at("action").as_string(), "escalate");
  EXPECT_EQ(d.at(0).at("line").as_int64(), 2);
}

TEST(Runtime, FailedScriptIsDiscardedAndFallbackFillsTheGaps) {
  TempDir dir;
  RuntimeConfig c;
  c.fallback.add_tags = {"needs-triage"};
  c.fallback.group_id = "triage";
  c.fallback.priority = "high";
  c.script_paths = {
      dir.Write("ok.lua", "function on_ticket_created(t, ctx) priority('low') tag('ok') end\n"),
      dir.Write("bad.lua", "function on_ticket_created(t, ctx)\n  tag('half')\n  error('boom')\nend\n")};
  auto rt = Make(c);
  Ticket t = TypicalTicket();
  RunResult r = rt->Run(Event(t));
  EXPECT_EQ(r.records[1].outcome, "error");
  EXPECT_NE(r.records[1].reason.find("bad.lua:3: boom"), std::string::npos) << r.records[1].reason;
  EXPECT_NE(r.records[1].reason.find("1 decisions discarded"), std::string::npos);
  EXPECT_EQ(r.records[1].decisions_json, "[]");
  EXPECT_TRUE(r.fallback_applied);
  EXPECT_FALSE(HasTag(r.decisions, "half"));
  EXPECT_TRUE(HasTag(r.decisions, "ok"));
  EXPECT_TRUE(HasTag(r.decisions, "needs-triage"));
  EXPECT_EQ(r.decisions.group_id, "triage");   // nobody decided a group
  EXPECT_EQ(r.decisions.priority, "low");      // a finished script decided this
}

TEST(Runtime, RecordsNameVersionHandlerInputsAndLogs) {
  TempDir dir;
  RuntimeConfig c;
  c.script_paths = {
      dir.Write("r.lua", "function on_ticket_created(t, ctx)\n  log('subject', t.subject, 42)\n"
                         "  if t.sentiment.compound < 0 then tag('neg') end\nend\n"),
      dir.Write("quiet.lua", "function on_agent_reply(t, ctx) tag('x') end\n"),
      dir.Write("any.lua", "function on_event(t, ctx) tag('any-' .. t.event) end\n")};
  auto rt = Make(c);
  Ticket t = TypicalTicket();
  RunResult r = rt->Run(Event(t));
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.records[0].script, "r.lua");
  EXPECT_EQ(r.records[0].version.size(), 12u);
  EXPECT_EQ(r.records[0].version, rt->Versions()[0]);
  EXPECT_EQ(r.records[0].outcome, "ok");
  EXPECT_EQ(r.records[0].logs, std::vector<std::string>{"subject Cannot log in 42"});
  json::object inputs = json::parse(r.records[0].inputs_json).as_object();
  EXPECT_EQ(inputs.size(), 2u) << r.records[0].inputs_json;  // subject and sentiment only
  EXPECT_EQ(inputs.at("subject").as_string(), "Cannot log in");
  EXPECT_DOUBLE_EQ(inputs.at("sentiment").at("compound").as_double(), -0.6);
  EXPECT_EQ(r.records[1].outcome, "no_handler");
  EXPECT_EQ(r.records[1].handler, "");
  EXPECT_EQ(r.records[2].handler, "on_event");
  EXPECT_TRUE(HasTag(r.decisions, "any-ticket_created"));
  EXPECT_FALSE(r.fallback_applied);  // no handler is not a failure
  json::object seen = json::parse(r.inputs_json).as_object();  // union of what the scripts read
  EXPECT_TRUE(seen.contains("subject"));
  EXPECT_TRUE(seen.contains("event"));
  EXPECT_FALSE(seen.contains("requester")) << r.inputs_json;
}

TEST(Runtime, InputsNameSentimentTermsOnceWithoutTheirWeights) {
  TempDir dir;
  RuntimeConfig c;
  c.script_paths = {dir.Write("s.lua", "function on_ticket_created(t, ctx)\n"
                                       "  if t.sentiment.frustration > 0.5 then tag('angry') end\n"
                                       "  for _, term in ipairs(t.sentiment.terms) do log(term.text) end\nend\n")};
  auto rt = Make(c);
  Ticket t = TypicalTicket();
  EventContext e = Event(t);
  e.sentiment.terms = {{"unacceptable", -2.0f, "valence"}, {"nobody answers", -2.0f, "valence"},
                       {"unacceptable", 0.5f, "frustration"}};
  RunResult r = rt->Run(e);
  ASSERT_EQ(r.records.size(), 1u);
  json::value inputs = json::parse(r.records[0].inputs_json);
  const json::array& terms = inputs.at("sentiment").at("terms").as_array();
  ASSERT_EQ(terms.size(), 2u) << r.records[0].inputs_json;  // "unacceptable" once
  EXPECT_EQ(terms[0].as_string(), "unacceptable");
  EXPECT_EQ(terms[1].as_string(), "nobody answers");
  EXPECT_DOUBLE_EQ(inputs.at("sentiment").at("frustration").as_double(), 0.8);
}

// A script's inputs hold only the keys of t.sentiment it read; the event's union holds what any
// script read; pairs() over t.sentiment reads every key.
TEST(Runtime, InputsHoldOnlyTheSentimentKeysAScriptRead) {
  TempDir dir;
  RuntimeConfig c;
  c.script_paths = {
      dir.Write("a.lua", "function on_ticket_created(t, ctx)\n"
                         "  if t.sentiment.frustration > 0.5 and t.sentiment.trend.ewma < 0 then tag('a') end\nend\n"),
      dir.Write("b.lua", "function on_ticket_created(t, ctx)\n  if t.sentiment.churn_risk > 2 then tag('b') end\nend\n"),
      dir.Write("c.lua", "function on_ticket_created(t, ctx)\n  for k in pairs(t.sentiment) do end\nend\n")};
  auto rt = Make(c);
  Ticket t = TypicalTicket();
  RunResult r = rt->Run(Event(t));
  ASSERT_EQ(r.records.size(), 3u);
  json::object a = json::parse(r.records[0].inputs_json).at("sentiment").as_object();
  EXPECT_EQ(a.size(), 2u) << r.records[0].inputs_json;
  EXPECT_DOUBLE_EQ(a.at("frustration").as_double(), 0.8);
  EXPECT_TRUE(a.at("trend").as_object().contains("ewma"));
  json::object b = json::parse(r.records[1].inputs_json).at("sentiment").as_object();
  EXPECT_EQ(b.size(), 1u) << r.records[1].inputs_json;
  EXPECT_TRUE(b.contains("churn_risk"));
  json::object all = json::parse(r.records[2].inputs_json).at("sentiment").as_object();
  EXPECT_EQ(all.size(), 11u) << r.records[2].inputs_json;
  EXPECT_TRUE(all.contains("compound"));
  EXPECT_TRUE(all.contains("terms"));
  // The second record was built after the first with another subset: no stale cache.
  json::object any = json::parse(r.inputs_json).at("sentiment").as_object();
  EXPECT_EQ(any.size(), 11u) << r.inputs_json;
}

TEST(Runtime, TicketViewExposesTheModel) {
  TempDir dir;
  RuntimeConfig c;
  c.script_paths = {dir.Write("v.lua", R"(
function on_customer_reply(t, ctx)
  assert(t.instance == 'zendesk-eu' and t.platform == 'zendesk' and t.id == '4242')
  assert(t.requester.email == 'ada@example.com' and t.requester.name == 'Ada Lovelace')
  assert(#t.messages == 3 and t.messages[2].role == 'agent' and t.messages[3].time == 3000)
  assert(t.latest.id == 'm3' and t.text == 'This is the third time. Useless!')
  assert(t.tagged.web and not t.tagged.nope and t.tags[2] == 'login' and #t.tags == 2)
  assert(t.sentiment.escalating == true and t.sentiment.trend.messages == 2)
  assert(t.sentiment.frustration == 0.8 and #t.sentiment.terms == 0)
  assert(t.similar.count == 0 and #t.similar.examples == 0)
  assert(ctx.instance == 'zendesk-eu' and ctx.event == 'customer_reply' and ctx.script == 'v.lua')
  assert(ctx.now == 1700000000000 and ctx.utc.year == 2023 and ctx.utc.hour == 22)
  local n = 0
  for k, v in pairs(t) do n = n + 1 end
  assert(n >= 20, 'pairs(t) gave ' .. n)
  local roles = {}
  for i, m in ipairs(t.messages) do roles[#roles + 1] = m.role end
  assert(table.concat(roles, ',') == 'customer,agent,customer')
  tag('all-good')
end
)")};
  auto rt = Make(c);
  Ticket t = TypicalTicket();
  RunResult r = rt->Run(Event(t, EventKind::kCustomerReplied));
  EXPECT_EQ(r.records[0].outcome, "ok") << r.records[0].reason;
  EXPECT_TRUE(HasTag(r.decisions, "all-good"));
}

TEST(Runtime, KvCountsWithExpiryAndDiscardsWritesOfFailedScripts) {
  TempDir dir;
  RuntimeConfig c;
  c.script_paths = {dir.Write("count.lua",
                              "function on_ticket_created(t, ctx)\n"
                              "  local n = ctx.kv.incr('req:' .. t.requester.id, 1, 3600)\n"
                              "  ctx.kv.set('last', t.subject)\n"
                              "  tag('n' .. n)\n"
                              "  if t.subject == 'fail' then error('after the writes') end\n"
                              "end\n")};
  auto kv = NewMemoryKvStore();
  auto rt = Make(c, kv.get());
  Ticket t = TypicalTicket("hello");
  EventContext e = Event(t);
  EXPECT_TRUE(HasTag(rt->Run(e).decisions, "n1"));
  EXPECT_TRUE(HasTag(rt->Run(e).decisions, "n2"));
  Ticket f = TypicalTicket("fail");
  EventContext ef = Event(f);
  rt->Run(ef);
  EXPECT_EQ(kv->Get("count.lua", "req:77", e.now_ms), "2");   // the failed run's incr is gone
  EXPECT_EQ(kv->Get("count.lua", "last", e.now_ms), "hello");
  e.now_ms += 3601 * 1000;  // the counter expired
  EXPECT_TRUE(HasTag(rt->Run(e).decisions, "n1"));
}

TEST(Runtime, ReloadKeepsTheRunningVersionWhenTheNewOneFails) {
  TempDir dir;
  RuntimeConfig c;
  c.reload_check_ms = 0;
  const std::string path = dir.Write("r.lua", "function on_ticket_created(t, ctx) tag('v1') end\n");
  c.script_paths = {path};
  auto rt = Make(c);
  Ticket t = TypicalTicket();
  const std::string v1 = rt->Versions()[0];
  dir.Write("r.lua", "function on_ticket_created(t, ctx) tag('v2'\n");
  Status st = rt->Reload();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find(path + ":2:"), std::string::npos) << st.message();
  EXPECT_TRUE(HasTag(rt->Run(Event(t)).decisions, "v1"));
  EXPECT_EQ(rt->Versions()[0], v1);
  dir.Write("r.lua", "function on_ticket_created(t, ctx) tag('v3') end\n");
  EXPECT_TRUE(rt->Reload().ok());
  EXPECT_TRUE(HasTag(rt->Run(Event(t)).decisions, "v3"));
  EXPECT_NE(rt->Versions()[0], v1);
}

TEST(Runtime, HotReloadPicksUpEditsAndReportsBrokenOnes) {
  TempDir dir;
  RuntimeConfig c;
  c.reload_check_ms = 1;
  c.script_paths = {dir.Write("r.lua", "function on_ticket_created(t, ctx) tag('v1') end\n")};
  auto rt = Make(c);
  Ticket t = TypicalTicket();
  EXPECT_TRUE(HasTag(rt->Run(Event(t)).decisions, "v1"));
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  dir.Write("r.lua", "function on_ticket_created(t, ctx) tag('v2-edited') end\n");
  RunResult r = rt->Run(Event(t));
  EXPECT_TRUE(HasTag(r.decisions, "v2-edited"));
  EXPECT_EQ(r.reload_error, "");
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  dir.Write("r.lua", "function on_ticket_created(t, ctx) tag( end\n");
  r = rt->Run(Event(t));
  EXPECT_TRUE(HasTag(r.decisions, "v2-edited"));
  EXPECT_NE(r.reload_error.find("r.lua:1:"), std::string::npos) << r.reload_error;
}

TEST(Runtime, EmptyConfigAndPingRunNothing) {
  RuntimeConfig c;
  auto rt = Make(c);
  Ticket t = TypicalTicket();
  RunResult r = rt->Run(Event(t));
  EXPECT_TRUE(r.records.empty());
  EXPECT_TRUE(r.decisions.empty());
  EXPECT_TRUE(rt->Run(Event(t, EventKind::kPing)).records.empty());
}

TEST(Runtime, DuplicateScriptNamesAreRefused) {
  TempDir a, b;
  RuntimeConfig c;
  c.script_paths = {a.Write("r.lua", "function on_event() end\n"), b.Write("r.lua", "function on_event() end\n")};
  auto rt = Runtime::Create(c, nullptr);
  ASSERT_FALSE(rt.ok());
  EXPECT_NE(rt.status().message().find("another script is also named r.lua"), std::string::npos);
}

TEST(Runtime, CheckScriptReportsFileAndLine) {
  TempDir dir;
  const std::string good = dir.Write("good.lua", "function on_event(t, ctx) end\n");
  const std::string bad = dir.Write("bad.lua", "\nfunction on_event(t, ctx)\n  x = = 1\nend\n");
  RuntimeConfig c;
  EXPECT_TRUE(CheckScript(c, good).ok());
  Status st = CheckScript(c, bad);
  EXPECT_EQ(st.message().rfind(bad + ":3:", 0), 0u) << st.message();
}

}  // namespace
}  // namespace deskhook::scripts
