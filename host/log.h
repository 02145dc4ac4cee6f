// JSON-lines logging to stderr: {"ts":"...","level":"info","msg":"...",<fields>}.
// Every registered secret is replaced by "[redacted]" in the final line, whatever field it is in.
// Thread-safe.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace deskhook::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void SetLevel(Level level);
void SetLevel(std::string_view name);  // "debug" | "info" | "warn" | "error"
bool Enabled(Level level);

// Registers a secret value to scrub from every line (no-op for values shorter than 4 bytes).
void RegisterSecret(const std::string& secret);

using Value = std::variant<std::string_view, int64_t, double, bool>;
using Fields = std::initializer_list<std::pair<std::string_view, Value>>;

void Write(Level level, std::string_view msg, Fields fields = {});
inline void Debug(std::string_view m, Fields f = {}) { if (Enabled(Level::kDebug)) Write(Level::kDebug, m, f); }
inline void Info(std::string_view m, Fields f = {}) { if (Enabled(Level::kInfo)) Write(Level::kInfo, m, f); }
inline void Warn(std::string_view m, Fields f = {}) { if (Enabled(Level::kWarn)) Write(Level::kWarn, m, f); }
inline void Error(std::string_view m, Fields f = {}) { Write(Level::kError, m, f); }

// Redirects output (tests); nullptr restores stderr. REQUIRES: sink outlives its use.
void SetSinkForTest(std::string* sink);

// Appends `s` to `out` as a JSON string literal (with quotes).
void AppendJsonString(std::string* out, std::string_view s);

}  // namespace deskhook::log
