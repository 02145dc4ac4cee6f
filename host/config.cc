#include "host/config.h"

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>

namespace deskhook {
namespace json = boost::json;
namespace {

// Thrown only inside this file while walking the JSON; ParseConfig turns it into a Status.
struct ConfigError {
  std::string field;
  std::string problem;
};

std::string ReadFileOrThrow(const std::string& path, const std::string& field) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError{field, "cannot read file '" + path + "'"};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// Expands ${VAR} references. A missing variable is an error naming the field, not the value.
std::string ExpandEnv(const std::string& raw, const std::string& field) {
  std::string out;
  for (size_t i = 0; i < raw.size();) {
    if (raw.compare(i, 2, "${") == 0) {
      size_t end = raw.find('}', i + 2);
      if (end == std::string::npos) throw ConfigError{field, "unterminated ${...}"};
      std::string var = raw.substr(i + 2, end - i - 2);
      const char* v = std::getenv(var.c_str());
      if (v == nullptr) throw ConfigError{field, "environment variable " + var + " is not set"};
      out += v;
      i = end + 1;
    } else {
      out += raw[i++];
    }
  }
  return out;
}

// Set for the duration of one parse (parsing is single-threaded per call).
thread_local ConfigSecrets g_secrets = ConfigSecrets::kResolve;

class Reader {
 public:
  Reader(const json::object& obj, std::string prefix) : obj_(obj), prefix_(std::move(prefix)) {}

  std::string Field(std::string_view key) const { return prefix_ + std::string(key); }
  const json::value* Find(std::string_view key) const { return obj_.if_contains(key); }

  std::string String(std::string_view key, std::string fallback = "") const {
    const json::value* v = Find(key);
    if (v == nullptr || v->is_null()) return fallback;
    if (!v->is_string()) throw ConfigError{Field(key), "must be a string"};
    return ExpandEnv(std::string(v->as_string()), Field(key));
  }

  // A secret: "literal", "${ENV}", {"env": "VAR"} or {"file": "/path"}.
  std::string Secret(std::string_view key) const {
    const json::value* v = Find(key);
    if (v == nullptr || v->is_null()) return "";
    if (g_secrets == ConfigSecrets::kSkip) {
      const bool shaped = v->is_string() || (v->is_object() && (v->as_object().if_contains("env") ||
                                                               v->as_object().if_contains("file")));
      if (!shaped) throw ConfigError{Field(key), "must be a string, {\"env\": NAME} or {\"file\": PATH}"};
      return kUnresolvedSecret;
    }
    if (v->is_string()) return ExpandEnv(std::string(v->as_string()), Field(key));
    if (v->is_object()) {
      const auto& o = v->as_object();
      if (auto* f = o.if_contains("file"); f && f->is_string())
        return Trimmed(ReadFileOrThrow(std::string(f->as_string()), Field(key)));
      if (auto* e = o.if_contains("env"); e && e->is_string()) {
        std::string var(e->as_string());
        const char* val = std::getenv(var.c_str());
        if (val == nullptr) throw ConfigError{Field(key), "environment variable " + var + " is not set"};
        return val;
      }
    }
    throw ConfigError{Field(key), "must be a string, {\"env\": NAME} or {\"file\": PATH}"};
  }

  bool Has(std::string_view key) const { return Find(key) != nullptr; }

  int64_t Int(std::string_view key, int64_t fallback, int64_t min, int64_t max) const {
    const json::value* v = Find(key);
    if (v == nullptr || v->is_null()) return fallback;
    int64_t n;
    if (v->is_int64()) n = v->as_int64();
    else if (v->is_uint64()) n = static_cast<int64_t>(v->as_uint64());
    else throw ConfigError{Field(key), "must be an integer"};
    if (n < min || n > max)
      throw ConfigError{Field(key), "must be between " + std::to_string(min) + " and " + std::to_string(max)};
    return n;
  }

  bool Bool(std::string_view key, bool fallback) const {
    const json::value* v = Find(key);
    if (v == nullptr || v->is_null()) return fallback;
    if (!v->is_bool()) throw ConfigError{Field(key), "must be true or false"};
    return v->as_bool();
  }

  const json::object* Object(std::string_view key) const {
    const json::value* v = Find(key);
    if (v == nullptr || v->is_null()) return nullptr;
    if (!v->is_object()) throw ConfigError{Field(key), "must be an object"};
    return &v->as_object();
  }

  std::vector<std::string> Strings(std::string_view key) const {
    std::vector<std::string> out;
    const json::value* v = Find(key);
    if (v == nullptr || v->is_null()) return out;
    if (!v->is_array()) throw ConfigError{Field(key), "must be an array of strings"};
    for (const auto& item : v->as_array()) {
      if (!item.is_string()) throw ConfigError{Field(key), "must be an array of strings"};
      out.emplace_back(item.as_string());
    }
    return out;
  }

 private:
  const json::object& obj_;
  std::string prefix_;
};

std::string Resolve(const std::string& base_dir, const std::string& p) {
  if (p.empty() || std::filesystem::path(p).is_absolute() || base_dir.empty()) return p;
  return (std::filesystem::path(base_dir) / p).lexically_normal().string();
}

void ParseHttp(const Reader& r, HttpConfig* h, std::vector<std::string>* warnings) {
  h->address = r.String("address", h->address);
  h->port = static_cast<int>(r.Int("port", h->port, 0, 65535));
  if (const json::object* tls = r.Object("tls")) {
    Reader t(*tls, r.Field("tls."));
    h->tls_cert = t.String("cert");
    h->tls_key = t.String("key");
    if (h->tls_cert.empty() != h->tls_key.empty())
      throw ConfigError{r.Field("tls"), "needs both cert and key"};
  }
  if (r.Has("threads")) {
    warnings->push_back(r.Field("threads") +
                        ": no longer used (connections no longer hold a thread each); see http.io_threads and "
                        "http.worker_threads");
  }
  h->io_threads = static_cast<int>(r.Int("io_threads", h->io_threads, 1, 64));
  h->worker_threads = static_cast<int>(r.Int("worker_threads", h->worker_threads, 1, 256));
  h->max_connections = static_cast<int>(r.Int("max_connections", h->max_connections, 1, 1000000));
  h->body_limit_bytes = static_cast<size_t>(r.Int("body_limit_bytes", h->body_limit_bytes, 1024, 64 << 20));
  h->read_timeout_ms = static_cast<int>(r.Int("read_timeout_ms", h->read_timeout_ms, 100, 600000));
  h->write_timeout_ms = static_cast<int>(r.Int("write_timeout_ms", h->write_timeout_ms, 100, 600000));
  h->keep_alive_timeout_s = static_cast<int>(r.Int("keep_alive_timeout_s", h->keep_alive_timeout_s, 1, 3600));
  h->keep_alive_max_requests =
      static_cast<int>(r.Int("keep_alive_max_requests", h->keep_alive_max_requests, 1, 10000000));
  h->tcp_nodelay = r.Bool("tcp_nodelay", h->tcp_nodelay);
  h->listen_backlog = static_cast<int>(r.Int("listen_backlog", h->listen_backlog, 1, 65535));
  h->noop_endpoint = r.Bool("noop_endpoint", h->noop_endpoint);
}

DecisionSet ParseDecisions(const Reader& r) {
  DecisionSet d;
  if (auto g = r.String("group"); !g.empty()) d.group_id = g;
  if (auto a = r.String("agent"); !a.empty()) d.assignee_id = a;
  if (auto p = r.String("priority"); !p.empty()) d.priority = p;
  d.add_tags = r.Strings("tags");
  if (auto n = r.String("note"); !n.empty()) d.notes.push_back(n);
  return d;
}

void ParseScripts(const Reader& r, const std::string& base_dir, scripts::RuntimeConfig* s) {
  for (const auto& f : r.Strings("files")) s->script_paths.push_back(Resolve(base_dir, f));
  s->module_dir = Resolve(base_dir, r.String("module_dir"));
  if (const json::object* lim = r.Object("limits")) {
    Reader l(*lim, r.Field("limits."));
    s->limits.instructions = l.Int("instructions", s->limits.instructions, 1000, int64_t(1) << 40);
    s->limits.deadline_ms = l.Int("deadline_ms", s->limits.deadline_ms, 1, 60000);
    s->limits.memory_bytes = static_cast<size_t>(
        l.Int("memory_bytes", static_cast<int64_t>(s->limits.memory_bytes), 256 << 10, int64_t(4) << 30));
  }
  if (const json::object* esc = r.Object("escalate")) {
    Reader e(*esc, r.Field("escalate."));
    if (e.Find("tags")) s->escalate.tags = e.Strings("tags");
    s->escalate.group_id = e.String("group", s->escalate.group_id);
    s->escalate.priority = e.String("priority", s->escalate.priority);
  }
  if (const json::object* fb = r.Object("fallback")) s->fallback = ParseDecisions(Reader(*fb, r.Field("fallback.")));
}

InstanceConfig ParseInstance(const Reader& r) {
  InstanceConfig c;
  c.name = r.String("name");
  c.kind = r.String("kind");
  if (c.name.empty()) throw ConfigError{r.Field("name"), "is required"};
  for (char ch : c.name) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_')
      throw ConfigError{r.Field("name"), "may contain only letters, digits, '-' and '_'"};
  }
  c.signing_secret = r.Secret("signing_secret");
  c.timestamp_tolerance_s = r.Int("timestamp_tolerance_s", c.timestamp_tolerance_s, 1, 86400 * 7);
  c.base_url = r.String("base_url");
  if (c.base_url.empty() && c.kind == "zendesk")
    throw ConfigError{r.Field("base_url"), "is required (https://SUBDOMAIN.zendesk.com)"};
  c.api_email = r.String("api_email");
  c.api_token = r.Secret("api_token");
  c.oauth_token = r.Secret("oauth_token");
  c.access_token = r.Secret("access_token");
  c.admin_id = r.String("admin_id");
  c.api_version = r.String("api_version", c.api_version);
  c.ca_path = r.String("ca_path");
  c.timeout_ms = r.Int("timeout_ms", c.timeout_ms, 100, 600000);
  c.self_user_id = r.String("self_user_id");
  c.article_section_id = r.String("article_section_id");
  c.article_locale = r.String("article_locale", c.article_locale);
  c.article_permission_group_id = r.String("article_permission_group_id");
  c.article_parent_id = r.String("article_parent_id");
  c.article_author_id = r.String("article_author_id");
  return c;
}

Config ParseOrThrow(const std::string& text, const std::string& base_dir) {
  json::error_code ec;
  json::value root = json::parse(text, ec);
  if (ec) throw ConfigError{"(file)", "not valid JSON: " + ec.message()};
  if (!root.is_object()) throw ConfigError{"(file)", "must be a JSON object"};
  Reader r(root.as_object(), "");
  Config c;
  if (const json::object* http = r.Object("http")) ParseHttp(Reader(*http, "http."), &c.http, &c.warnings);
  if (const json::object* store = r.Object("store")) {
    Reader s(*store, "store.");
    c.store_path = Resolve(base_dir, s.String("path", c.store_path));
    c.dedupe_window_s = s.Int("dedupe_window_s", c.dedupe_window_s, 1, 86400 * 365);
    c.retention_days = s.Int("retention_days", c.retention_days, 0, 36500);
    c.store_sync = s.String("sync", c.store_sync);
    c.store_checkpoint_pages = s.Int("checkpoint_pages", c.store_checkpoint_pages, 100, 10'000'000);
    if (c.store_sync != "full" && c.store_sync != "normal")
      throw ConfigError{"store.sync", "must be \"full\" or \"normal\""};
  } else {
    c.store_path = Resolve(base_dir, c.store_path);
  }
  c.workers = static_cast<int>(r.Int("workers", c.workers, 1, 256));
  if (const json::object* admin = r.Object("admin")) c.admin_token = Reader(*admin, "admin.").Secret("token");
  if (const json::object* log = r.Object("log")) {
    c.log_level = Reader(*log, "log.").String("level", c.log_level);
    if (c.log_level != "debug" && c.log_level != "info" && c.log_level != "warn" && c.log_level != "error")
      throw ConfigError{"log.level", "must be debug, info, warn or error"};
  }
  if (const json::object* s = r.Object("sentiment"))
    c.extra_lexicon = Resolve(base_dir, Reader(*s, "sentiment.").String("extra_lexicon"));
  if (const json::object* s = r.Object("scripts")) ParseScripts(Reader(*s, "scripts."), base_dir, &c.scripts);
  if (const json::object* f = r.Object("faq")) c.faq = *f;
  if (const json::object* o = r.Object("outbox")) c.outbox = *o;

  const json::value* conns = r.Find("connectors");
  if (conns == nullptr || !conns->is_array() || conns->as_array().empty())
    throw ConfigError{"connectors", "must be a non-empty array of connector instances"};
  const auto& arr = conns->as_array();
  for (size_t i = 0; i < arr.size(); ++i) {
    std::string prefix = "connectors[" + std::to_string(i) + "].";
    if (!arr[i].is_object()) throw ConfigError{prefix.substr(0, prefix.size() - 1), "must be an object"};
    InstanceConfig inst = ParseInstance(Reader(arr[i].as_object(), prefix));
    if (c.FindInstance(inst.name) != nullptr) throw ConfigError{prefix + "name", "duplicate name '" + inst.name + "'"};
    // Let the connector validate what it needs (kind, secrets); its message names the field.
    auto made = MakeConnector(inst);
    if (!made.ok()) throw ConfigError{prefix.substr(0, prefix.size() - 1), made.status().message()};
    c.connectors.push_back(std::move(inst));
  }
  return c;
}

}  // namespace

const InstanceConfig* Config::FindInstance(const std::string& name) const {
  for (const auto& c : connectors) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

Result<Config> ParseConfig(const std::string& json_text, const std::string& base_dir,
                           ConfigSecrets secrets) {
  struct Mode {
    explicit Mode(ConfigSecrets s) { g_secrets = s; }
    ~Mode() { g_secrets = ConfigSecrets::kResolve; }
  } mode(secrets);
  try {
    return ParseOrThrow(json_text, base_dir);
  } catch (const ConfigError& e) {
    return Status::InvalidArgument(e.field + ": " + e.problem);
  }
}

Result<Config> LoadConfig(const std::string& path, ConfigSecrets secrets) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("config file '" + path + "' cannot be read");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string base = std::filesystem::absolute(path).parent_path().string();
  auto cfg = ParseConfig(ss.str(), base, secrets);
  if (cfg.ok()) cfg->path = path;
  return cfg;
}

}  // namespace deskhook
