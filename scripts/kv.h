// ctx.kv for one handler invocation: reads go to the store, writes are buffered and written
// only when the script ends ok, so a failing script leaves no half effect in its counters.
// Not thread-safe; one per invocation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "scripts/runtime.h"

namespace deskhook::scripts {

class ScriptKv {
 public:
  // REQUIRES: store outlives this (nullptr: every call fails with an error for the script).
  ScriptKv(KvStore* store, std::string script, int64_t now_ms)
      : store_(store), script_(std::move(script)), now_ms_(now_ms) {}

  bool available() const { return store_ != nullptr; }
  std::optional<std::string> Get(const std::string& key);
  void Set(const std::string& key, std::string value, int64_t ttl_s);
  // Returns the value after adding `by` (a missing or non-integer value counts as 0).
  int64_t Incr(const std::string& key, int64_t by, int64_t ttl_s);

  void Commit();                     // writes the buffered changes, in order
  void Discard() { pending_.clear(); }

 private:
  struct Pending {
    std::string key;
    bool is_set = false;   // Set(value) vs Incr(delta)
    std::string value;
    int64_t delta = 0;
    int64_t ttl_s = 0;
  };
  Pending* Find(const std::string& key);

  KvStore* store_;
  std::string script_;
  int64_t now_ms_;
  std::vector<Pending> pending_;
};

}  // namespace deskhook::scripts
