// The Lua routing-script runtime. One Runtime per worker thread (it owns one lua_State that is
// reused across events); not thread-safe. Scripts are compiled at load: a script that does not
// compile is refused and, on reload, the running version stays.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/model/decision.h"
#include "connectors/model/status.h"
#include "connectors/model/ticket.h"
#include "sentiment/sentiment.h"

namespace deskhook::scripts {

// t.similar: repeated-question grouping for this ticket's first question.
struct SimilarInfo {
  int count = 0;                       // similar tickets in the window, this one excluded
  std::string group_id;                // "" when not grouped
  std::vector<std::string> examples;   // a few earlier ticket ids of the group
};

// Everything a handler sees for one event. REQUIRES: ticket outlives the Run() call.
struct EventContext {
  EventKind kind = EventKind::kTicketUpdated;
  const Ticket* ticket = nullptr;
  sentiment::MessageScore sentiment;   // latest customer message
  sentiment::ConversationTrend trend;  // customer messages so far, this one included
  SimilarInfo similar;
  int64_t now_ms = 0;                  // ctx.now; 0 = the runtime reads the system clock
  // t.text: the latest customer message as the scorer saw it (sentiment::CleanMessage).
  // "" = the runtime uses that message's body as the connector gave it.
  std::string text;
};

// The handler a script defines for each event kind ("" for kPing: no scripts run).
// A script without the specific handler falls back to on_event(t, ctx) when it defines one.
std::string_view HandlerName(EventKind kind);  // "on_ticket_created", "on_customer_reply", ...

// ctx.kv: small persistent key-value store, namespaced per script, with expiry.
// Implemented by the host over its store; an in-memory one is provided for tests and dry-run.
class KvStore {
 public:
  virtual ~KvStore() = default;
  virtual std::optional<std::string> Get(const std::string& script, const std::string& key,
                                         int64_t now_ms) = 0;
  virtual void Set(const std::string& script, const std::string& key, const std::string& value,
                   int64_t ttl_s, int64_t now_ms) = 0;  // ttl_s <= 0: no expiry
  virtual int64_t Incr(const std::string& script, const std::string& key, int64_t by,
                       int64_t ttl_s, int64_t now_ms) = 0;  // ttl applies when created
};
std::unique_ptr<KvStore> NewMemoryKvStore();

struct Limits {
  int64_t instructions = 1'000'000;   // per handler invocation (count hook)
  int64_t deadline_ms = 50;           // CPU time of the handler invocation (not time descheduled)
  size_t memory_bytes = 16u << 20;    // whole lua_State, own allocator
  // Caps on what the API hands over; going over is an error for that script.
  size_t max_actions = 200;           // decision calls per invocation
  size_t max_tags = 50;               // tags named per invocation (tag + untag)
  size_t max_tag_bytes = 100;
  size_t max_note_bytes = 8u << 10;
  size_t max_draft_bytes = 64u << 10;  // draft_faq title + body
  size_t max_log_lines = 100;         // further log lines are counted, not kept
  size_t max_log_bytes = 2048;        // longer lines are truncated
  size_t max_kv_ops = 100;            // ctx.kv calls per invocation
  size_t max_kv_key_bytes = 200;
  size_t max_kv_value_bytes = 4096;
};

// escalate{reason=...} expands to this bundle (plus a note with the reason).
struct EscalateBundle {
  std::vector<std::string> tags = {"escalation"};
  std::string group_id;
  std::string priority = "high";
};

struct RuntimeConfig {
  std::vector<std::string> script_paths;  // run in this order
  std::string module_dir;                 // require() resolves only here; "" = folder of first script
  Limits limits;
  EscalateBundle escalate;
  DecisionSet fallback;                   // applied when any script fails or hits a limit
  // Hot reload: before a Run, at most this often, the script files' mtimes are compared with
  // the loaded ones and changed scripts are recompiled (a failing compile keeps the running
  // version). 0 = never; Reload() (SIGHUP) works either way.
  int64_t reload_check_ms = 1000;
};

// One decision-log record per (event, script).
struct ScriptRecord {
  std::string script;        // file name
  std::string version;       // short hash of the source
  std::string handler;       // e.g. "on_ticket_created"; "" when the script has none for this event
  std::string outcome;       // "ok" | "error" | "limit" | "no_handler"
  std::string reason;        // error message with file:line, or which limit was hit
  std::string decisions_json;  // JSON array of what this script decided, in order
  std::vector<std::string> logs;  // log(...) lines
  std::string inputs_json;   // JSON object: the t fields this script read, with their values
  int64_t instructions = 0;
  int64_t micros = 0;
};

struct RunResult {
  DecisionSet decisions;     // merged, applied only after all scripts finished
  std::vector<ScriptRecord> records;
  bool fallback_applied = false;
  std::string inputs_json;   // what the scripts saw: JSON object of every t field any script read
  std::string reload_error;  // a hot reload before this run failed (running version kept)
};

class Runtime {
 public:
  // Compiles every script; InvalidArgument with "file:line: message" for the first that fails.
  static Result<std::unique_ptr<Runtime>> Create(const RuntimeConfig& config, KvStore* kv);
  virtual ~Runtime() = default;

  virtual RunResult Run(const EventContext& event) = 0;

  // Recompiles from disk; on any error the running scripts stay and the error is returned.
  virtual Status Reload() = 0;

  // Bytes the Lua state holds now (for metrics and the benchmark).
  virtual size_t LuaMemoryBytes() const = 0;
  // Short source hash of each loaded script, in run order.
  virtual std::vector<std::string> Versions() const = 0;
};

// Compiles one script on its own with `config`'s limits and module folder (check-scripts).
// OK, or InvalidArgument "file:line: message".
Status CheckScript(const RuntimeConfig& config, const std::string& path);

}  // namespace deskhook::scripts
