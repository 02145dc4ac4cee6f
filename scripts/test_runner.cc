// The C++ half of the test runner: turns the event tables of *_test.lua files into tickets,
// runs the scripts under test through a real Runtime and hands the decisions back as tables.
#include "scripts/test_runner.h"

#include <algorithm>
#include <filesystem>
#include <memory>

#include <boost/json.hpp>

#include "scripts/lua_binding.h"

namespace deskhook::scripts {

extern const char* const kTestPrelude;

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using binding::Value;

std::string Str(const Value& v, std::string_view key, std::string fallback = "") {
  const Value* x = v.Get(key);
  if (x == nullptr) return fallback;
  if (x->type == Value::Type::kString) return x->s;
  if (x->type == Value::Type::kNumber) {
    const auto i = static_cast<int64_t>(x->n);
    return static_cast<double>(i) == x->n ? std::to_string(i) : std::to_string(x->n);
  }
  return fallback;
}

double Num(const Value& v, std::string_view key, double fallback) {
  const Value* x = v.Get(key);
  return x != nullptr && x->type == Value::Type::kNumber ? x->n : fallback;
}

bool Bool(const Value& v, std::string_view key, bool fallback) {
  const Value* x = v.Get(key);
  return x != nullptr && x->type == Value::Type::kBool ? x->b : fallback;
}

std::vector<std::string> Strings(const Value& v, std::string_view key) {
  std::vector<std::string> out;
  if (const Value* x = v.Get(key)) {
    for (const auto& e : x->array) {
      if (e.type == Value::Type::kString) out.push_back(e.s);
    }
  }
  return out;
}

Person ToPerson(const Value* v) {
  Person p;
  if (v == nullptr) return p;
  p.id = Str(*v, "id");
  p.name = Str(*v, "name");
  p.email = Str(*v, "email");
  return p;
}

Result<EventKind> ToKind(const std::string& name) {
  for (EventKind k : {EventKind::kTicketCreated, EventKind::kCustomerReplied, EventKind::kAgentReplied,
                      EventKind::kTicketUpdated}) {
    if (EventKindName(k) == name) return k;
  }
  return Status::InvalidArgument("event = '" + name +
                                 "': use ticket_created, customer_reply, agent_reply or ticket_updated");
}

Result<Ticket> ToTicket(const Value& e) {
  Ticket t;
  t.instance = Str(e, "instance", "test");
  t.platform = Str(e, "platform", "zendesk");
  t.id = Str(e, "id", "1");
  t.subject = Str(e, "subject");
  t.status = Str(e, "status", "new");
  t.priority = Str(e, "priority");
  t.channel = Str(e, "channel", "email");
  t.url = Str(e, "url");
  t.group_id = Str(e, "group_id");
  t.group_name = Str(e, "group_name");
  t.created_at_ms = static_cast<int64_t>(Num(e, "created_at", 0));
  t.updated_at_ms = static_cast<int64_t>(Num(e, "updated_at", 0));
  t.requester = ToPerson(e.Get("requester"));
  t.assignee = ToPerson(e.Get("assignee"));
  t.tags = Strings(e, "tags");
  if (const Value* ms = e.Get("messages")) {
    int i = 0;
    for (const auto& m : ms->array) {
      Message msg;
      msg.id = "m" + std::to_string(++i);
      if (m.type == Value::Type::kString) {
        msg.body = m.s;
      } else {
        const std::string role = Str(m, "role", "customer");
        if (role == "agent") msg.role = AuthorRole::kAgent;
        else if (role == "system") msg.role = AuthorRole::kSystem;
        else if (role != "customer") return Status::InvalidArgument("message role '" + role + "'");
        msg.body = Str(m, "body");
        msg.id = Str(m, "id", msg.id);
        msg.author_id = Str(m, "author_id", msg.role == AuthorRole::kCustomer ? t.requester.id : "");
        msg.time_ms = static_cast<int64_t>(Num(m, "time", 0));
        msg.is_public = Bool(m, "public", true);
      }
      t.messages.push_back(std::move(msg));
    }
  } else if (e.Get("text") != nullptr) {
    t.messages.push_back({"m1", AuthorRole::kCustomer, t.requester.id, Str(e, "text"), 0, true});
  }
  return t;
}

// Explicit t.sentiment values from the test override what the scorer computed.
void OverrideSentiment(const Value& s, EventContext* e) {
  auto& m = e->sentiment;
  m.compound = Num(s, "compound", m.compound);
  m.pos = Num(s, "pos", m.pos);
  m.neg = Num(s, "neg", m.neg);
  m.neu = Num(s, "neu", m.neu);
  m.frustration = Num(s, "frustration", m.frustration);
  m.churn_risk = Num(s, "churn_risk", m.churn_risk);
  m.wants_human = Num(s, "wants_human", m.wants_human);
  m.urgency = Num(s, "urgency", m.urgency);
  e->trend.escalating = Bool(s, "escalating", e->trend.escalating);
  if (const Value* tr = s.Get("trend")) {
    e->trend.messages = static_cast<int>(Num(*tr, "messages", e->trend.messages));
    e->trend.last = Num(*tr, "last", e->trend.last);
    e->trend.ewma = Num(*tr, "ewma", e->trend.ewma);
    e->trend.slope = Num(*tr, "slope", e->trend.slope);
    e->trend.min = Num(*tr, "min", e->trend.min);
    e->trend.escalating = Bool(*tr, "escalating", e->trend.escalating);
  }
  if (const Value* terms = s.Get("terms")) {
    m.terms.clear();
    for (const auto& x : terms->array) {
      sentiment::Term term;
      if (x.type == Value::Type::kString) term.text = x.s;
      else {
        term.text = Str(x, "text");
        term.weight = static_cast<float>(Num(x, "weight", 0));
        term.signal = Str(x, "signal", "valence");
      }
      m.terms.push_back(std::move(term));
    }
  }
}

RuntimeConfig ToConfig(const Value& spec, const std::string& dir) {
  RuntimeConfig c;
  c.reload_check_ms = 0;
  c.limits.deadline_ms = 1000;  // tests check logic, not speed: a busy machine must not fail them
  auto resolve = [&](const std::string& p) { return fs::path(p).is_absolute() ? p : (fs::path(dir) / p).string(); };
  if (const Value* list = spec.Get("scripts")) {
    for (const auto& s : list->array) {
      if (s.type == Value::Type::kString) c.script_paths.push_back(resolve(s.s));
    }
  }
  const Value empty = Value::Table();
  const Value* cfg = spec.Get("config");
  if (cfg == nullptr) cfg = &empty;
  c.module_dir = resolve(Str(*cfg, "module_dir", "."));
  if (const Value* l = cfg->Get("limits")) {
    c.limits.instructions = static_cast<int64_t>(Num(*l, "instructions", static_cast<double>(c.limits.instructions)));
    c.limits.deadline_ms = static_cast<int64_t>(Num(*l, "deadline_ms", static_cast<double>(c.limits.deadline_ms)));
    c.limits.memory_bytes = static_cast<size_t>(Num(*l, "memory_bytes", static_cast<double>(c.limits.memory_bytes)));
  }
  if (const Value* esc = cfg->Get("escalate")) {
    if (esc->Get("tags")) c.escalate.tags = Strings(*esc, "tags");
    c.escalate.group_id = Str(*esc, "group", c.escalate.group_id);
    c.escalate.priority = Str(*esc, "priority", c.escalate.priority);
  }
  if (const Value* fb = cfg->Get("fallback")) {
    if (auto g = Str(*fb, "group"); !g.empty()) c.fallback.group_id = g;
    if (auto a = Str(*fb, "agent"); !a.empty()) c.fallback.assignee_id = a;
    if (auto p = Str(*fb, "priority"); !p.empty()) c.fallback.priority = p;
    c.fallback.add_tags = Strings(*fb, "tags");
    if (auto n = Str(*fb, "note"); !n.empty()) c.fallback.notes.push_back(n);
  }
  return c;
}

// A stable text key of a config, to reuse one Runtime across run{} calls of a test.
std::string ConfigKey(const RuntimeConfig& c) {
  std::string k = c.module_dir + "|" + std::to_string(c.limits.instructions) + "|" +
                  std::to_string(c.limits.deadline_ms) + "|" + std::to_string(c.limits.memory_bytes) + "|" +
                  c.escalate.group_id + "|" + c.escalate.priority + "|" + c.fallback.group_id.value_or("") + "|" +
                  c.fallback.priority.value_or("");
  for (const auto& p : c.script_paths) k += "|s:" + p;
  for (const auto& t : c.escalate.tags) k += "|e:" + t;
  for (const auto& t : c.fallback.add_tags) k += "|f:" + t;
  for (const auto& n : c.fallback.notes) k += "|n:" + n;
  return k;
}

Value FromJson(const json::value& j) {
  switch (j.kind()) {
    case json::kind::bool_: return Value::Bool(j.get_bool());
    case json::kind::int64: return Value::Number(static_cast<double>(j.get_int64()));
    case json::kind::uint64: return Value::Number(static_cast<double>(j.get_uint64()));
    case json::kind::double_: return Value::Number(j.get_double());
    case json::kind::string: return Value::String(std::string(j.get_string()));
    case json::kind::array: {
      Value v = Value::Table();
      for (const auto& x : j.get_array()) v.array.push_back(FromJson(x));
      return v;
    }
    case json::kind::object: {
      Value v = Value::Table();
      for (const auto& [k, x] : j.get_object()) v.Set(std::string(k), FromJson(x));
      return v;
    }
    case json::kind::null: break;
  }
  return Value::Nil();
}

Value StringList(const std::vector<std::string>& v) {
  Value out = Value::Table();
  for (const auto& s : v) out.array.push_back(Value::String(s));
  return out;
}

Value ToResult(const RunResult& r) {
  const DecisionSet& d = r.decisions;
  Value out = Value::Table();
  if (d.group_id) out.Set("group", Value::String(*d.group_id));
  if (d.assignee_id) out.Set("agent", Value::String(*d.assignee_id));
  if (d.priority) out.Set("priority", Value::String(*d.priority));
  out.Set("tags", StringList(d.add_tags));
  Value tagged = Value::Table();
  for (const auto& t : d.add_tags) tagged.Set(t, Value::Bool(true));
  out.Set("tagged", std::move(tagged));
  out.Set("untags", StringList(d.remove_tags));
  out.Set("notes", StringList(d.notes));
  Value drafts = Value::Table();
  for (const auto& f : d.drafts) {
    Value x = Value::Table();
    x.Set("title", Value::String(f.title));
    x.Set("body", Value::String(f.body_html));
    drafts.array.push_back(std::move(x));
  }
  out.Set("drafts", std::move(drafts));
  out.Set("fallback", Value::Bool(r.fallback_applied));
  Value records = Value::Table();
  Value by_script = Value::Table();
  for (const auto& rec : r.records) {
    Value x = Value::Table();
    x.Set("script", Value::String(rec.script));
    x.Set("version", Value::String(rec.version));
    x.Set("handler", Value::String(rec.handler));
    x.Set("outcome", Value::String(rec.outcome));
    x.Set("reason", Value::String(rec.reason));
    x.Set("logs", StringList(rec.logs));
    boost::system::error_code ec;
    x.Set("decisions", FromJson(json::parse(rec.decisions_json.empty() ? "[]" : rec.decisions_json, ec)));
    x.Set("inputs", FromJson(json::parse(rec.inputs_json.empty() ? "{}" : rec.inputs_json, ec)));
    records.array.push_back(x);
    by_script.Set(rec.script, std::move(x));
  }
  out.Set("records", std::move(records));
  out.Set("scripts", std::move(by_script));
  return out;
}

// Per test file: the runtime under test and its kv store, reset before each test.
class FileSession {
 public:
  explicit FileSession(const TestRunOptions& options) : options_(options) {}

  void Reset() {
    runtime_.reset();
    kv_ = NewMemoryKvStore();
    key_.clear();
  }

  Result<Value> Run(const Value& spec) {
    const Value* event = spec.Get("event");
    if (event == nullptr) return Status::InvalidArgument("run{}: no event");
    RuntimeConfig config = ToConfig(spec, Str(spec, "dir", "."));
    if (config.script_paths.empty()) return Status::InvalidArgument("run{}: no scripts under test");
    const std::string key = ConfigKey(config);
    if (!runtime_ || key != key_) {
      if (!kv_) kv_ = NewMemoryKvStore();
      auto rt = Runtime::Create(config, kv_.get());
      if (!rt.ok()) return rt.status();
      runtime_ = std::move(rt.value());
      key_ = key;
    }
    auto kind = ToKind(Str(*event, "event", "ticket_created"));
    if (!kind.ok()) return kind.status();
    auto ticket = ToTicket(*event);
    if (!ticket.ok()) return ticket.status();
    EventContext ctx;
    ctx.kind = *kind;
    ctx.ticket = &ticket.value();
    ctx.now_ms = static_cast<int64_t>(Num(*event, "now", 1'735'725'600'000.0));  // 2025-01-01 10:00 UTC
    if (options_.score) options_.score(*ctx.ticket, &ctx);
    if (const Value* s = event->Get("sentiment")) OverrideSentiment(*s, &ctx);
    if (const Value* sim = event->Get("similar")) {
      ctx.similar.count = static_cast<int>(Num(*sim, "count", 0));
      ctx.similar.group_id = Str(*sim, "group_id");
      ctx.similar.examples = Strings(*sim, "examples");
    }
    return ToResult(runtime_->Run(ctx));
  }

 private:
  const TestRunOptions& options_;
  std::unique_ptr<Runtime> runtime_;
  std::unique_ptr<KvStore> kv_;
  std::string key_;
};

std::vector<fs::path> TestFiles(const std::string& path, std::string* error) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) {
    out.emplace_back(path);
    return out;
  }
  if (!fs::is_directory(path, ec)) {
    *error = path + ": no such file or folder";
    return out;
  }
  for (const auto& entry : fs::directory_iterator(path, ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && name.size() > 9 && name.compare(name.size() - 9, 9, "_test.lua") == 0)
      out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

Result<TestRunSummary> RunScriptTests(const std::string& path, const TestRunOptions& options) {
  std::string error;
  const std::vector<fs::path> files = TestFiles(path, &error);
  if (!error.empty()) return Status::NotFound(error);
  FileSession session(options);
  std::FILE* out = options.out;
  std::map<std::string, binding::Harness::Fn> fns;
  fns["__run"] = [&](const std::vector<Value>& args) -> Result<Value> {
    if (args.empty()) return Status::InvalidArgument("run{}: no event");
    return session.Run(args[0]);
  };
  fns["__reset"] = [&](const std::vector<Value>&) -> Result<Value> {
    session.Reset();
    return Value::Nil();
  };
  fns["__emit"] = [&](const std::vector<Value>& args) -> Result<Value> {
    if (!args.empty()) std::fprintf(out, "%s\n", args[0].s.c_str());
    std::fflush(out);
    return Value::Nil();
  };
  Limits harness_limits;
  harness_limits.instructions = int64_t(1) << 40;
  harness_limits.deadline_ms = 120'000;
  harness_limits.memory_bytes = size_t(512) << 20;
  TestRunSummary summary;
  for (const auto& file : files) {
    // A fresh harness per file: one file's globals never reach the next.
    auto harness = binding::Harness::Create(kTestPrelude, fns, harness_limits);
    if (!harness.ok()) return harness.status();
    const std::string name = file.filename().string();
    ++summary.files;
    auto r = (*harness)->Call("__run_file", {Value::String(file.string()),
                                             Value::String(file.parent_path().string()), Value::String(name)});
    if (!r.ok()) {
      std::fprintf(out, "FAIL %s: %s\n", name.c_str(), r.status().message().c_str());
      ++summary.failed;
      continue;
    }
    summary.passed += static_cast<int>(Num(*r, "passed", 0));
    summary.failed += static_cast<int>(Num(*r, "failed", 0));
  }
  return summary;
}

}  // namespace deskhook::scripts
