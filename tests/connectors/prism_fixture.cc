#include "tests/connectors/prism_fixture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

#include "bench_util.h"

namespace deskhook::testing {
namespace json = boost::json;

namespace {

bool IsExecutable(const std::string& p) { return !p.empty() && ::access(p.c_str(), X_OK) == 0; }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string MakeTempDir() {
  char tmpl[] = "/tmp/deskhook-contract-XXXXXX";
  const char* d = ::mkdtemp(tmpl);
  return d ? std::string(d) : std::string("/tmp");
}

// Logs, converted specs and the patched spec; removed at exit (Prism has read its spec by then
// and keeps its open log file descriptor).
struct OwnTempDir {
  std::string path = MakeTempDir();
  ~OwnTempDir() {
    std::error_code ec;
    if (path.rfind("/tmp/deskhook-contract-", 0) == 0) std::filesystem::remove_all(path, ec);
  }
};

const std::string& TempDir() {
  static const OwnTempDir dir;
  return dir.path;
}

}  // namespace

std::string PrismBinary() {
  if (const char* env = std::getenv("DESKHOOK_PRISM"); env && IsExecutable(env)) return env;
  for (std::string p : {std::string(DESKHOOK_SOURCE_DIR) + "/.cache/prism/node_modules/.bin/prism",
                        std::string("/work/main/.cache/prism/node_modules/.bin/prism")}) {
    if (IsExecutable(p)) return p;
  }
  return "";
}

std::string PrismMissingMessage() {
  return "Stoplight Prism is not installed: run `bash dev/test.sh` (or `source dev/prism.sh && "
         "deskhook_install_prism`), or set DESKHOOK_PRISM to the prism binary";
}

std::string SharedPath(std::string_view relative) {
  return std::string(DESKHOOK_SHARED_DIR) + "/" + std::string(relative);
}

Status PrismServer::Start(const std::string& spec_path, int timeout_s) {
  const std::string bin = PrismBinary();
  if (bin.empty()) return Status::NotFound(PrismMissingMessage());
  if (::access(spec_path.c_str(), R_OK) != 0) return Status::NotFound("spec not readable: " + spec_path);
  port_ = bench::FreePort();
  static int counter = 0;
  log_path_ = TempDir() + "/prism-" + std::to_string(port_) + "-" + std::to_string(++counter) + ".log";
  const std::string port = std::to_string(port_);
  const pid_t pid = ::fork();
  if (pid < 0) return Status::Internal("fork failed");
  if (pid == 0) {
    ::setpgid(0, 0);                    // own group: Stop() ends Prism and any helper it spawns
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // and a crashed test does not leave it running
    const int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    ::execl(bin.c_str(), bin.c_str(), "mock", "-h", "127.0.0.1", "-p", port.c_str(),
            spec_path.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::setpgid(pid, pid);
  pid_ = pid;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    if (Log().find("Prism is listening") != std::string::npos) return Status::Ok();
    int wstatus = 0;
    if (::waitpid(pid_, &wstatus, WNOHANG) == pid_) {
      pid_ = -1;
      return Status::Internal("prism exited before listening; log:\n" + Log());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::string log = Log();
  Stop();
  return Status::Unavailable("prism not listening after " + std::to_string(timeout_s) + " s; log:\n" + log);
}

void PrismServer::Stop() {
  if (pid_ <= 0) return;
  ::kill(-pid_, SIGTERM);
  for (int i = 0; i < 50; ++i) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ::kill(-pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string PrismServer::Log() const { return log_path_.empty() ? "" : ReadFile(log_path_); }

PrismServer* SharedPrism(const std::string& spec_path, std::string* error) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<PrismServer>> servers;  // destroyed at exit
  std::lock_guard<std::mutex> lock(mu);
  auto& slot = servers[spec_path];
  if (!slot) {
    auto server = std::make_unique<PrismServer>();
    Status s = server->Start(spec_path);
    if (!s.ok()) {
      if (error) *error = s.ToString();
      servers.erase(spec_path);
      return nullptr;
    }
    slot = std::move(server);
  }
  return slot.get();
}

Result<std::string> PatchedIntercomSpec(const std::string& spec_path) {
  std::ifstream in(spec_path);
  if (!in) return Status::NotFound("cannot read " + spec_path);
  std::ostringstream out;
  std::string line;
  bool in_request = false, skipping = false, dropped = false;
  while (std::getline(in, line)) {
    const size_t indent = line.find_first_not_of(' ');
    if (line.rfind("    create_article_request:", 0) == 0) in_request = true;
    else if (in_request && indent == 4) in_request = false;
    if (skipping) {
      if (indent != std::string::npos && indent <= 8) skipping = false;
      else continue;
    }
    if (in_request && line == "        translated_content:") {
      skipping = dropped = true;
      continue;
    }
    out << line << '\n';
  }
  if (!dropped) return Status::NotFound("create_article_request.translated_content not found in " + spec_path);
  const std::string path = TempDir() + "/intercom-articles-validated.yaml";
  std::ofstream(path) << out.str();
  return path;
}

// ---- SpecDoc ----

Result<SpecDoc> SpecDoc::Load(const std::string& yaml_path) {
  const std::string prism = PrismBinary();
  if (prism.empty()) return Status::NotFound(PrismMissingMessage());
  // js-yaml ships with Prism: <prefix>/node_modules/.bin/prism -> <prefix>/node_modules/js-yaml.
  const std::string modules = prism.substr(0, prism.rfind("/.bin/"));
  static int counter = 0;
  const std::string out = TempDir() + "/spec-" + std::to_string(++counter) + ".json";
  const std::string script =
      "const y=require(process.argv[1]+'/js-yaml'),f=require('fs');"
      "f.writeFileSync(process.argv[3],JSON.stringify(y.load(f.readFileSync(process.argv[2],'utf8'))))";
  const std::string cmd = "node -e \"" + script + "\" '" + modules + "' '" + yaml_path + "' '" + out + "'";
  if (std::system(cmd.c_str()) != 0) return Status::Internal("converting " + yaml_path + " failed: " + cmd);
  boost::system::error_code ec;
  SpecDoc doc;
  doc.doc_ = json::parse(ReadFile(out), ec);
  if (ec || !doc.doc_.is_object()) return Status::Internal("spec JSON unreadable: " + out);
  return doc;
}

namespace {
std::vector<std::string_view> Segments(std::string_view p) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i <= p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    if (j > i) out.push_back(p.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}
}  // namespace

const json::value* SpecDoc::Resolve(const json::value* s) const {
  for (int i = 0; s && i < 32; ++i) {
    if (!s->is_object()) return s;
    const auto* ref = s->get_object().if_contains("$ref");
    if (!ref || !ref->is_string()) return s;
    std::string_view r = ref->get_string();
    if (r.substr(0, 1) != "#") return nullptr;
    boost::system::error_code ec;
    s = doc_.find_pointer(r.substr(1), ec);
  }
  return s;
}

const json::value* SpecDoc::RequestSchema(std::string_view method, std::string_view path,
                                          std::string* op_path) const {
  path = path.substr(0, path.find('?'));
  const auto want = Segments(path);
  const auto* paths = doc_.get_object().if_contains("paths");
  if (!paths || !paths->is_object()) return nullptr;
  const json::object* best = nullptr;
  int best_literals = -1;
  std::string best_path;
  for (const auto& [tmpl, item] : paths->get_object()) {
    const auto segs = Segments(tmpl);
    if (segs.size() != want.size() || !item.is_object()) continue;
    int literals = 0;
    bool match = true;
    for (size_t i = 0; i < segs.size() && match; ++i) {
      if (!segs[i].empty() && segs[i].front() == '{') continue;
      if (segs[i] != want[i]) match = false;
      else ++literals;
    }
    const auto* op = item.get_object().if_contains(Lower(method));
    if (match && op && op->is_object() && literals > best_literals) {
      best = &op->get_object();
      best_literals = literals;
      best_path = tmpl;
    }
  }
  if (!best) return nullptr;
  if (op_path) *op_path = best_path;
  boost::system::error_code ec;
  const auto* rb = best->if_contains("requestBody");
  if (!rb) return nullptr;
  rb = Resolve(rb);
  return rb ? rb->find_pointer("/content/application~1json/schema", ec) : nullptr;
}

bool SpecDoc::HasOperation(std::string_view method, std::string_view path) const {
  std::string op;
  RequestSchema(method, path, &op);
  if (!op.empty()) return true;
  // Operations without a body: search again ignoring the body requirement.
  path = path.substr(0, path.find('?'));
  const auto want = Segments(path);
  for (const auto& [tmpl, item] : doc_.at("paths").get_object()) {
    const auto segs = Segments(tmpl);
    if (segs.size() != want.size() || !item.is_object() || !item.get_object().contains(Lower(method)))
      continue;
    bool match = true;
    for (size_t i = 0; i < segs.size() && match; ++i)
      if (!(segs[i].front() == '{') && segs[i] != want[i]) match = false;
    if (match) return true;
  }
  return false;
}

void SpecDoc::CollectNames(const json::value& schema, std::set<std::string>& names, int depth) const {
  const json::value* s = Resolve(&schema);
  if (!s || !s->is_object() || depth > 16) return;
  const auto& o = s->get_object();
  if (const auto* props = o.if_contains("properties"); props && props->is_object())
    for (const auto& kv : props->get_object()) names.insert(std::string(kv.key()));
  for (const char* combo : {"allOf", "anyOf", "oneOf"})
    if (const auto* arr = o.if_contains(combo); arr && arr->is_array())
      for (const auto& branch : arr->get_array()) CollectNames(branch, names, depth + 1);
}

std::set<std::string> SpecDoc::PropertyNames(const json::value& schema) const {
  std::set<std::string> names;
  CollectNames(schema, names, 0);
  return names;
}

std::vector<std::string> SpecDoc::Check(const json::value& schema, const json::value& body,
                                        const std::set<std::string>& allowed_extra) const {
  std::vector<std::string> errors;
  Validate(schema, body, "", true, allowed_extra, errors);
  return errors;
}

void SpecDoc::Validate(const json::value& schema_in, const json::value& v, const std::string& where,
                       bool strict, const std::set<std::string>& extra,
                       std::vector<std::string>& errors) const {
  const json::value* s = Resolve(&schema_in);
  const std::string at = where.empty() ? "body" : where;
  if (!s) {
    errors.push_back(at + ": unresolvable $ref");
    return;
  }
  if (!s->is_object()) return;
  const auto& o = s->get_object();
  auto flag = [&](const char* key) {
    const auto* f = o.if_contains(key);
    return f && f->is_bool() && f->get_bool();
  };

  if (const auto* all = o.if_contains("allOf"); all && all->is_array()) {
    for (const auto& branch : all->get_array()) Validate(branch, v, where, false, extra, errors);
  }
  for (const char* combo : {"oneOf", "anyOf"}) {
    const auto* arr = o.if_contains(combo);
    if (!arr || !arr->is_array()) continue;
    bool any = false;
    std::string why;
    for (const auto& branch : arr->get_array()) {
      std::vector<std::string> e;
      Validate(branch, v, where, strict, extra, e);
      if (e.empty()) {
        any = true;
        break;
      }
      if (why.empty()) why = e.front();
    }
    if (!any) errors.push_back(at + ": matches no " + combo + " branch (first: " + why + ")");
  }

  if (v.is_null()) {
    if (!flag("nullable") && o.contains("type")) errors.push_back(at + ": must not be null");
    return;
  }
  if (const auto* en = o.if_contains("enum"); en && en->is_array()) {
    const auto& arr = en->get_array();
    if (std::find(arr.begin(), arr.end(), v) == arr.end())
      errors.push_back(at + ": " + json::serialize(v) + " is not one of " + json::serialize(*en));
  }
  const auto* type = o.if_contains("type");
  const std::string t = type && type->is_string() ? std::string(type->get_string()) : "";
  auto bad_type = [&] { errors.push_back(at + ": must be " + t + ", got " + json::serialize(v)); };
  if (t == "string" && !v.is_string()) return bad_type();
  if (t == "integer" && !v.is_int64() && !v.is_uint64()) return bad_type();
  if (t == "number" && !v.is_number()) return bad_type();
  if (t == "boolean" && !v.is_bool()) return bad_type();
  if (t == "array") {
    if (!v.is_array()) return bad_type();
    if (const auto* items = o.if_contains("items"))
      for (size_t i = 0; i < v.get_array().size(); ++i)
        Validate(*items, v.get_array()[i], at + "[" + std::to_string(i) + "]", true, extra, errors);
  }
  if (t == "object" && !v.is_object()) return bad_type();
  if (!v.is_object()) return;

  const auto& obj = v.get_object();
  const auto* props = o.if_contains("properties");
  if (const auto* req = o.if_contains("required"); req && req->is_array())
    for (const auto& r : req->get_array())
      if (r.is_string() && !obj.contains(r.get_string()))
        errors.push_back(at + ": missing required property '" + std::string(r.get_string()) + "'");
  if (props && props->is_object()) {
    for (const auto& kv : obj) {
      if (const auto* ps = props->get_object().if_contains(kv.key())) {
        const std::string child = where.empty() ? std::string(kv.key()) : where + "." + std::string(kv.key());
        Validate(*ps, kv.value(), child, true, extra, errors);
      }
    }
  }
  if (!strict) return;
  const auto* additional = o.if_contains("additionalProperties");
  if (additional && !(additional->is_bool() && !additional->get_bool())) return;  // open map
  const auto known = PropertyNames(*s);
  if (known.empty() && !props) return;  // free-form object
  for (const auto& kv : obj) {
    const std::string key(kv.key());
    const std::string dotted = where.empty() ? key : where + "." + key;
    if (!known.count(key) && !extra.count(dotted))
      errors.push_back(at + ": unknown property '" + key + "' (not in the spec)");
  }
}

// ---- sending ----

namespace {
std::string Substitute(std::string text, const std::map<std::string, std::string>& captures) {
  for (const auto& [name, value] : captures) {
    const std::string token = "{{" + name + "}}";
    for (size_t pos; (pos = text.find(token)) != std::string::npos;) text.replace(pos, token.size(), value);
  }
  return text;
}
}  // namespace

SentCall SendRaw(int port, const std::string& method, const std::string& path, const std::string& body,
                 const std::vector<std::pair<std::string, std::string>>& headers) {
  httplib::Client cli("127.0.0.1", port);
  cli.set_connection_timeout(10);
  cli.set_read_timeout(60);
  httplib::Request req;
  req.method = method;
  req.path = path;
  std::string content_type = "application/json";
  for (const auto& [k, val] : headers) {
    if (k == "Content-Type") content_type = val;
    else req.headers.emplace(k, val);
  }
  if (!body.empty()) {
    req.body = body;
    req.headers.emplace("Content-Type", content_type);
  }
  SentCall sent{method, path, body, 0, ""};
  auto res = cli.send(req);
  if (res) {
    sent.status = res->status;
    sent.response = res->body;
  } else {
    sent.response = "transport error: " + httplib::to_string(res.error());
  }
  return sent;
}

std::vector<SentCall> SendCalls(int port, const std::vector<ApiCall>& calls,
                                const std::vector<std::pair<std::string, std::string>>& extra_headers) {
  std::vector<SentCall> out;
  std::map<std::string, std::string> captures;
  for (const ApiCall& call : calls) {
    auto headers = call.headers;
    headers.insert(headers.end(), extra_headers.begin(), extra_headers.end());
    SentCall sent = SendRaw(port, call.method, Substitute(call.path, captures),
                            Substitute(call.body, captures), headers);
    const bool ok = sent.status >= 200 && sent.status < 300;
    if (ok && !call.capture_as.empty()) {
      boost::system::error_code ec;
      json::value answer = json::parse(sent.response, ec);
      const json::value* got = ec ? nullptr : answer.find_pointer(call.capture_pointer, ec);
      if (got && got->is_string()) captures[call.capture_as] = std::string(got->get_string());
      else if (got && (got->is_int64() || got->is_uint64())) captures[call.capture_as] = json::serialize(*got);
      else {
        sent.status = -1;
        sent.response = "capture " + call.capture_pointer + " missing in: " + sent.response;
      }
    }
    out.push_back(std::move(sent));
    if (out.back().status < 200 || out.back().status >= 300) break;
  }
  return out;
}

}  // namespace deskhook::testing

namespace deskhook::testing {

DecisionSet AllDecisions() {
  for (auto& [name, d] : EveryDecisionKind())
    if (name == "all") return d;
  return {};
}

Ticket TestTicket(const std::string& platform, std::string id, const std::string& instance) {
  Ticket t;
  t.platform = platform;
  t.instance = instance;
  t.id = std::move(id);
  return t;
}

std::vector<std::pair<std::string, DecisionSet>> EveryDecisionKind() {
  std::vector<std::pair<std::string, DecisionSet>> out;
  DecisionSet d;
  d.group_id = "360000333444";
  out.emplace_back("group", d);
  d = {};
  d.assignee_id = "39011700001";
  out.emplace_back("assignee", d);
  d = {};
  d.add_tags = {"sentiment_negative", "escalated"};
  out.emplace_back("add_tags", d);
  d = {};
  d.remove_tags = {"needs_triage"};
  out.emplace_back("remove_tags", d);
  d = {};
  d.notes = {"Sentiment -0.82 (angry), trend falling."};
  out.emplace_back("note", d);
  for (const char* p : {"low", "normal", "high", "urgent"}) {
    d = {};
    d.priority = p;
    out.emplace_back(std::string("priority_") + p, d);
  }
  d = {};
  d.drafts.push_back({"How do I reset my password?", "<p>Open Settings, then Security.</p>",
                      "password-reset", {"auto-faq", "password"}});
  out.emplace_back("draft", d);
  DecisionSet all;
  all.group_id = "360000333444";
  all.assignee_id = "39011700001";
  all.add_tags = {"sentiment_negative", "escalated"};
  all.remove_tags = {"needs_triage"};
  all.notes = {"Auto-routed: sentiment -0.82 (angry).", "Customer mentions \"chargeback\" <urgent>.\nSecond line."};
  all.priority = "urgent";
  all.drafts.push_back({"How do I get a refund?", "<p>Refunds take 5 days.</p>", "refund", {}});
  all.drafts.push_back({"Where is my order?", "<p>Track it in your account.</p>", "", {"auto-faq"}});
  out.emplace_back("all", all);
  return out;
}

InstanceConfig ZendeskTestConfig() {
  InstanceConfig c;
  c.name = "zendesk-test";
  c.kind = "zendesk";
  c.base_url = "http://127.0.0.1";
  c.api_email = "agent@example.com";
  c.api_token = "TESTTOKEN";
  c.article_section_id = "360004785313";
  c.article_locale = "en-us";
  c.article_permission_group_id = "1234";
  return c;
}

InstanceConfig IntercomTestConfig(const std::string& api_version) {
  InstanceConfig c;
  c.name = "intercom-test";
  c.kind = "intercom";
  c.access_token = "test-token";
  c.admin_id = "991267715";
  c.api_version = api_version;
  c.article_parent_id = "18";
  c.article_author_id = "991267715";
  return c;
}

}  // namespace deskhook::testing
