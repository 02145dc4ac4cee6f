// deskhook's configuration: one JSON file (examples/deskhook.json is the documented example).
// Secrets may be written as "${ENV_VAR}", {"env": "VAR"} or {"file": "/path"}; they are resolved
// at load time and never appear in logs or error messages (errors name the field only).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "connectors/connector.h"
#include "connectors/model/status.h"
#include "scripts/runtime.h"

namespace deskhook {

struct HttpConfig {
  std::string address = "127.0.0.1";
  int port = 8080;
  std::string tls_cert;           // PEM paths; both or neither
  std::string tls_key;
  // Event loops (threads) serving every connection; a keep-alive connection holds no thread.
  int io_threads = 1;
  // Threads for requests that may block (admin API reads, /readyz's probe write).
  int worker_threads = 4;
  int max_connections = 10000;    // open at once; more are answered 503 and closed
  size_t body_limit_bytes = 1 << 20;
  int read_timeout_ms = 5000;
  int write_timeout_ms = 5000;
  int keep_alive_timeout_s = 30;
  int keep_alive_max_requests = 10000;
  bool tcp_nodelay = true;
  // Connections the kernel completes and queues before the server accepts them (also capped by
  // net.core.somaxconn). A short queue drops SYNs in a burst of new connections, and each
  // dropped one stalls a second before the client retries.
  int listen_backlog = 1024;
  bool noop_endpoint = false;     // POST /noop answers 200 (benchmark baseline)
};

struct Config {
  std::string path;               // the file this came from (for reload)
  HttpConfig http;
  std::string store_path = "deskhook.db";
  int64_t dedupe_window_s = 86400;
  int64_t retention_days = 90;  // store.retention_days; 0 = keep everything
  // "full": fsync on every commit (survives power loss); "normal": WAL without fsync per commit
  // (survives a process crash such as kill -9, may lose the last commits on power loss).
  std::string store_sync = "full";
  int64_t store_checkpoint_pages = 4000;  // WAL pages between checkpoints (store.checkpoint_pages)
  int workers = 2;
  std::string admin_token;        // bearer token for /api/*; "" disables the admin API
  std::string log_level = "info"; // "debug" | "info" | "warn" | "error"
  std::string extra_lexicon;      // sentiment: operator's own terms file
  scripts::RuntimeConfig scripts; // paths resolved relative to the config file
  std::vector<InstanceConfig> connectors;
  // What is accepted but worth telling the operator ("http.threads: no longer used ...");
  // `serve` logs them, `check-config` prints them.
  std::vector<std::string> warnings;
  // Sections owned by other modules, validated by them: "faq", "outbox".
  boost::json::object faq;
  boost::json::object outbox;

  const InstanceConfig* FindInstance(const std::string& name) const;
};

// kSkip: secret fields are checked for shape but not read (no environment variable or file is
// needed); each holds kUnresolvedSecret. For tools that never talk to a helpdesk
// (check-scripts), so they run where the secrets are not (a script repository's CI).
enum class ConfigSecrets { kResolve, kSkip };
inline constexpr const char* kUnresolvedSecret = "(secret not resolved)";

// Reads, resolves secrets, validates. InvalidArgument names the field ("connectors[0].kind: ...").
Result<Config> LoadConfig(const std::string& path, ConfigSecrets secrets = ConfigSecrets::kResolve);
Result<Config> ParseConfig(const std::string& json_text, const std::string& base_dir,
                           ConfigSecrets secrets = ConfigSecrets::kResolve);

}  // namespace deskhook
