// The only door to Lua: every lua_State, stack push/pop and registry reference of deskhook lives
// in lua_binding.cc (Envoy's Lua filter keeps the same rule). Nothing in this header names a Lua
// type, so the runtime, the test runner and the tools stay plain C++.
//
// Thread-safety: an Engine or Harness is used by one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "connectors/model/status.h"
#include "scripts/decisions.h"
#include "scripts/kv.h"
#include "scripts/runtime.h"

namespace deskhook::scripts::binding {

struct ScriptSource {
  std::string name;   // file name; the chunk name in messages and the kv namespace
  std::string path;   // as configured; compile errors are reported as "path:line: message"
  std::string text;
};

enum class Outcome { kOk, kError, kLimit, kNoHandler };
std::string_view OutcomeName(Outcome o);  // "ok", "error", "limit", "no_handler"

struct InvokeResult {
  Outcome outcome = Outcome::kOk;
  std::string handler;               // "" when the script has none for this event
  std::string reason;                // "file:line: message" or "limit: ... at file:line"
  std::vector<Action> actions;
  std::vector<std::string> logs;
  uint32_t fields_read = 0;          // bit i: Field i of `t` was read
  uint32_t sentiment_read = 0;       // bit i: t.sentiment[kSentimentKeys[i]] was read
  int64_t instructions = 0;          // counted by the hook, in steps of Engine::kHookStep
};

// One sandboxed lua_State holding the compiled scripts of one Runtime.
class Engine {
 public:
  static constexpr int kHookStep = 100;  // instructions between hook calls

  // Compiles every script (text chunks only) and runs each top level once in a scratch
  // environment, which catches top-level errors, unknown handler names and missing modules.
  // InvalidArgument "path:line: message" for the first script that fails.
  static Result<std::unique_ptr<Engine>> Create(const std::vector<ScriptSource>& scripts,
                                                const Limits& limits, const std::string& module_dir);
  ~Engine();

  // `t` for the scripts of one event. REQUIRES: event (and its ticket) outlive EndEvent().
  void BeginEvent(const EventContext& event);
  // Runs script `index`'s handler for the current event in a fresh environment under the limits.
  // REQUIRES: between BeginEvent and EndEvent; decided and kv outlive the call.
  InvokeResult Invoke(size_t index, const Decided& decided, ScriptKv* kv);
  void EndEvent();

  // A memory limit was hit: the state must be rebuilt before the next event.
  bool poisoned() const;
  size_t memory_bytes() const;
  // Files read by require() so far (watched for hot reload with the scripts).
  std::vector<std::string> module_paths() const;

  struct State;  // defined in lua_binding.cc

 private:
  explicit Engine(std::unique_ptr<State> s);
  std::unique_ptr<State> s_;
};

// ---- test harness -----------------------------------------------------------------------
// Plain data mirror of a Lua value, for the functions the test harness gives its Lua side.
struct Value {
  enum class Type { kNil, kBool, kNumber, kString, kTable };
  Type type = Type::kNil;
  bool b = false;
  double n = 0;
  std::string s;
  std::vector<Value> array;                          // t[1..n]
  std::vector<std::pair<std::string, Value>> fields;  // string keys, in no particular order

  static Value Nil() { return {}; }
  static Value Bool(bool v) { Value x; x.type = Type::kBool; x.b = v; return x; }
  static Value Number(double v) { Value x; x.type = Type::kNumber; x.n = v; return x; }
  static Value String(std::string v) { Value x; x.type = Type::kString; x.s = std::move(v); return x; }
  static Value Table() { Value x; x.type = Type::kTable; return x; }
  const Value* Get(std::string_view key) const;   // nullptr when absent
  Value& Set(std::string key, Value v);           // REQUIRES: type == kTable
  bool is_nil() const { return type == Type::kNil; }
};

// A sandboxed state (same allow-list as the scripts, no ticket API) running test files. The
// Lua side gets `fns` as globals and a builtin `__load(path)` that compiles a text file with its
// own environment inheriting the harness globals.
class Harness {
 public:
  using Fn = std::function<Result<Value>(const std::vector<Value>& args)>;
  static Result<std::unique_ptr<Harness>> Create(const std::string& prelude,
                                                 const std::map<std::string, Fn>& fns,
                                                 const Limits& limits);
  ~Harness();
  // Calls the global function `name` (protected, under the limits); returns its first result.
  Result<Value> Call(const std::string& name, const std::vector<Value>& args);

  struct State;

 private:
  explicit Harness(std::unique_ptr<State> s);
  std::unique_ptr<State> s_;
};

}  // namespace deskhook::scripts::binding
