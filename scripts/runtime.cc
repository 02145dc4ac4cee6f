// Runtime: loads script files, keeps one binding::Engine (one lua_State) per Runtime, runs the
// scripts of an event in order and merges what they decided. No Lua here.
#include "scripts/runtime.h"

#include <openssl/evp.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "scripts/decisions.h"
#include "scripts/kv.h"
#include "scripts/lua_binding.h"
#include "scripts/ticket_view.h"

namespace deskhook::scripts {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string ShortHash(const std::string& text) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), md, &len, EVP_sha256(), nullptr);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < 6 && i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

// (path, mtime, size) of every file the scripts depend on; compared to detect edits.
using Stamps = std::vector<std::tuple<std::string, int64_t, int64_t>>;

Stamps StampFiles(const std::vector<std::string>& paths) {
  Stamps out;
  for (const auto& p : paths) {
    std::error_code ec;
    const auto t = fs::last_write_time(p, ec);
    const int64_t mtime = ec ? -1 : static_cast<int64_t>(t.time_since_epoch().count());
    const auto size = fs::file_size(p, ec);
    out.emplace_back(p, mtime, ec ? -1 : static_cast<int64_t>(size));
  }
  return out;
}

Result<std::vector<binding::ScriptSource>> ReadSources(const std::vector<std::string>& paths) {
  std::vector<binding::ScriptSource> out;
  for (const auto& path : paths) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::InvalidArgument(path + ": cannot read the script");
    std::ostringstream text;
    text << in.rdbuf();
    binding::ScriptSource src;
    src.path = path;
    src.name = fs::path(path).filename().string();
    src.text = text.str();
    for (const auto& other : out) {
      if (other.name == src.name)
        return Status::InvalidArgument(path + ": another script is also named " + src.name +
                                       " (names key the decision log and ctx.kv)");
    }
    out.push_back(std::move(src));
  }
  return out;
}

std::string ModuleDir(const RuntimeConfig& c) {
  if (!c.module_dir.empty()) return c.module_dir;
  if (c.script_paths.empty()) return ".";
  const fs::path parent = fs::path(c.script_paths.front()).parent_path();
  return parent.empty() ? "." : parent.string();
}

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class RuntimeImpl : public Runtime {
 public:
  RuntimeImpl(const RuntimeConfig& config, KvStore* kv) : config_(config), kv_(kv) {
    if (kv_ == nullptr) {
      own_kv_ = NewMemoryKvStore();
      kv_ = own_kv_.get();
    }
  }

  Status Reload() override {
    std::vector<std::string> watched = config_.script_paths;
    const Stamps before = StampFiles(watched);
    auto sources = ReadSources(config_.script_paths);
    if (!sources.ok()) return sources.status();
    auto engine = binding::Engine::Create(*sources, config_.limits, ModuleDir(config_));
    if (!engine.ok()) return engine.status();
    engine_ = std::move(engine.value());
    sources_ = std::move(sources.value());
    versions_.clear();
    for (const auto& s : sources_) versions_.push_back(ShortHash(s.text));
    stamps_ = before;
    const Stamps modules = StampFiles(engine_->module_paths());
    stamps_.insert(stamps_.end(), modules.begin(), modules.end());
    failed_stamps_.clear();
    return Status::Ok();
  }

  RunResult Run(const EventContext& event) override {
    RunResult out;
    if (event.ticket == nullptr || event.kind == EventKind::kPing) return out;
    MaybeHotReload(&out.reload_error);
    FieldJsonCache inputs(event);
    uint32_t read_by_any = 0;
    uint32_t sentiment_read_by_any = 0;
    const int64_t now_ms = event.now_ms != 0 ? event.now_ms : WallMs();
    Decided decided;
    bool failed = false;
    engine_->BeginEvent(event);
    for (size_t i = 0; i < sources_.size(); ++i) {
      const auto t0 = Clock::now();
      ScriptKv kv(kv_, sources_[i].name, now_ms);
      binding::InvokeResult r = engine_->Invoke(i, decided, &kv);
      ScriptRecord& rec = out.records.emplace_back();
      rec.script = sources_[i].name;
      rec.version = versions_[i];
      rec.handler = std::move(r.handler);
      rec.outcome = binding::OutcomeName(r.outcome);
      rec.reason = std::move(r.reason);
      rec.logs = std::move(r.logs);
      rec.instructions = r.instructions;
      rec.inputs_json = inputs.Object(r.fields_read, r.sentiment_read);
      read_by_any |= r.fields_read;
      sentiment_read_by_any |= r.sentiment_read;
      if (r.outcome == binding::Outcome::kOk) {
        for (const auto& a : r.actions) ApplyAction(a, config_.escalate, rec.script, &decided);
        rec.decisions_json = ActionsJson(r.actions);
        kv.Commit();
      } else {
        rec.decisions_json = "[]";
        kv.Discard();
        if (r.outcome != binding::Outcome::kNoHandler) {
          failed = true;
          if (!r.actions.empty())
            rec.reason += " (" + std::to_string(r.actions.size()) + " decisions discarded)";
        }
      }
      if (engine_->poisoned()) RebuildAfterMemoryLimit(event, &rec);
      rec.micros = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
    }
    engine_->EndEvent();
    out.inputs_json = inputs.Object(read_by_any, sentiment_read_by_any);
    if (failed) {
      MergeFallback(config_.fallback, &decided.set);
      out.fallback_applied = true;
    }
    out.decisions = std::move(decided.set);
    return out;
  }

  size_t LuaMemoryBytes() const override { return engine_ ? engine_->memory_bytes() : 0; }
  std::vector<std::string> Versions() const override { return versions_; }

 private:
  // The state that hit its memory cap is dropped and the same compiled sources are loaded
  // into a fresh one; the rest of the event runs there.
  void RebuildAfterMemoryLimit(const EventContext& event, ScriptRecord* rec) {
    engine_->EndEvent();
    auto fresh = binding::Engine::Create(sources_, config_.limits, ModuleDir(config_));
    if (fresh.ok()) {
      engine_ = std::move(fresh.value());
      rec->reason += " (Lua state rebuilt)";
    } else {
      rec->reason += " (Lua state rebuild failed: " + fresh.status().message() + ")";
    }
    engine_->BeginEvent(event);
  }

  void MaybeHotReload(std::string* error) {
    if (config_.reload_check_ms <= 0) return;
    const auto now = Clock::now();
    if (now < next_check_) return;
    next_check_ = now + std::chrono::milliseconds(config_.reload_check_ms);
    std::vector<std::string> paths;
    for (const auto& s : stamps_) paths.push_back(std::get<0>(s));
    const Stamps current = StampFiles(paths);
    if (current == stamps_ || current == failed_stamps_) return;
    Status st = Reload();
    if (!st.ok()) {
      failed_stamps_ = current;  // do not retry the same broken files on every event
      *error = st.message();
    }
  }

  RuntimeConfig config_;
  KvStore* kv_;
  std::unique_ptr<KvStore> own_kv_;
  std::vector<binding::ScriptSource> sources_;
  std::vector<std::string> versions_;
  std::unique_ptr<binding::Engine> engine_;
  Stamps stamps_, failed_stamps_;
  Clock::time_point next_check_ = Clock::now();
};

}  // namespace

Result<std::unique_ptr<Runtime>> Runtime::Create(const RuntimeConfig& config, KvStore* kv) {
  auto rt = std::make_unique<RuntimeImpl>(config, kv);
  Status st = rt->Reload();
  if (!st.ok()) return st;
  return std::unique_ptr<Runtime>(std::move(rt));
}

Status CheckScript(const RuntimeConfig& config, const std::string& path) {
  RuntimeConfig one = config;
  one.script_paths = {path};
  if (one.module_dir.empty()) one.module_dir = ModuleDir(one);
  one.reload_check_ms = 0;
  auto rt = Runtime::Create(one, nullptr);
  return rt.ok() ? Status::Ok() : rt.status();
}

}  // namespace deskhook::scripts
