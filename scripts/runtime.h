// The Lua routing-script runtime. One Runtime per worker thread (it owns one lua_State that is
// reused across events); not thread-safe. Scripts are compiled at load: a script that does not
// compile is refused and, on reload, the running version stays.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
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
  int64_t now_ms = 0;
};

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
  int64_t deadline_ms = 50;           // wall clock per handler invocation
  size_t memory_bytes = 16u << 20;    // whole lua_State, own allocator
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
  int64_t instructions = 0;
  int64_t micros = 0;
};

struct RunResult {
  DecisionSet decisions;     // merged, applied only after all scripts finished
  std::vector<ScriptRecord> records;
  bool fallback_applied = false;
  std::string inputs_json;   // what the scripts saw (ticket summary + sentiment), for the log
};

class Runtime {
 public:
  // Compiles every script; InvalidArgument with "file:line: message" for the first that fails.
  static Result<std::unique_ptr<Runtime>> Create(const RuntimeConfig& config, KvStore* kv);
  virtual ~Runtime() = default;

  virtual RunResult Run(const EventContext& event) = 0;

  // Recompiles from disk; on any error the running scripts stay and the error is returned.
  virtual Status Reload() = 0;
};

}  // namespace deskhook::scripts
