#include "host/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <vector>

namespace deskhook::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::kInfo)};
std::mutex g_mu;
std::vector<std::string> g_secrets;  // guarded by g_mu
std::string* g_sink = nullptr;       // guarded by g_mu

const char* LevelName(Level l) {
  switch (l) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}

void Scrub(std::string* line) {
  for (const auto& s : g_secrets) {
    for (size_t pos = line->find(s); pos != std::string::npos; pos = line->find(s, pos)) {
      line->replace(pos, s.size(), "[redacted]");
    }
  }
}

}  // namespace

void SetLevel(Level level) { g_level.store(static_cast<int>(level)); }

void SetLevel(std::string_view name) {
  if (name == "debug") SetLevel(Level::kDebug);
  else if (name == "warn") SetLevel(Level::kWarn);
  else if (name == "error") SetLevel(Level::kError);
  else SetLevel(Level::kInfo);
}

bool Enabled(Level level) { return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed); }

void RegisterSecret(const std::string& secret) {
  if (secret.size() < 4) return;
  std::lock_guard<std::mutex> lock(g_mu);
  for (const auto& s : g_secrets) if (s == secret) return;
  g_secrets.push_back(secret);
}

void SetSinkForTest(std::string* sink) {
  std::lock_guard<std::mutex> lock(g_mu);
  g_sink = sink;
}

void AppendJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': *out += "\\\""; break;
      case '\\': *out += "\\\\"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\t': *out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          *out += buf;
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

void Write(Level level, std::string_view msg, Fields fields) {
  using namespace std::chrono;
  auto now = system_clock::now();
  std::time_t t = system_clock::to_time_t(now);
  int ms = static_cast<int>(duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char ts[64];  // room for any int the compiler assumes tm_year could be
  std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  std::string line = "{\"ts\":\"";
  line += ts;
  line += "\",\"level\":\"";
  line += LevelName(level);
  line += "\",\"msg\":";
  AppendJsonString(&line, msg);
  for (const auto& [key, value] : fields) {
    line.push_back(',');
    AppendJsonString(&line, key);
    line.push_back(':');
    if (auto* s = std::get_if<std::string_view>(&value)) AppendJsonString(&line, *s);
    else if (auto* i = std::get_if<int64_t>(&value)) line += std::to_string(*i);
    else if (auto* d = std::get_if<double>(&value)) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.6g", *d);
      line += buf;
    } else line += std::get<bool>(value) ? "true" : "false";
  }
  line += "}\n";
  std::lock_guard<std::mutex> lock(g_mu);
  Scrub(&line);
  if (g_sink != nullptr) *g_sink += line;
  else std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace deskhook::log
