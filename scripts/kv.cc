#include "scripts/kv.h"

#include <charconv>
#include <map>
#include <unordered_map>
#include <mutex>
#include <utility>

namespace deskhook::scripts {

namespace {

int64_t ParseInt(const std::optional<std::string>& s) {
  if (!s) return 0;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
  return (ec == std::errc() && p == s->data() + s->size()) ? v : 0;
}

// Tests and dry-run: everything in one map, expired entries dropped on read and swept now and then.
class MemoryKvStore : public KvStore {
 public:
  std::optional<std::string> Get(const std::string& script, const std::string& key,
                                 int64_t now_ms) override {
    std::lock_guard lock(mu_);
    auto it = map_.find(Key(script, key));
    if (it == map_.end()) return std::nullopt;
    if (Expired(it->second, now_ms)) {
      map_.erase(it);
      return std::nullopt;
    }
    return it->second.value;
  }

  void Set(const std::string& script, const std::string& key, const std::string& value,
           int64_t ttl_s, int64_t now_ms) override {
    std::lock_guard lock(mu_);
    MaybeSweep(now_ms);
    map_[Key(script, key)] = Entry{value, ttl_s > 0 ? now_ms + ttl_s * 1000 : 0};
  }

  int64_t Incr(const std::string& script, const std::string& key, int64_t by, int64_t ttl_s,
               int64_t now_ms) override {
    std::lock_guard lock(mu_);
    MaybeSweep(now_ms);
    const std::string k = Key(script, key);
    auto it = map_.find(k);
    if (it == map_.end() || Expired(it->second, now_ms)) {
      map_[k] = Entry{std::to_string(by), ttl_s > 0 ? now_ms + ttl_s * 1000 : 0};
      return by;
    }
    const int64_t v = ParseInt(it->second.value) + by;
    it->second.value = std::to_string(v);
    return v;
  }

 private:
  struct Entry {
    std::string value;
    int64_t expires_ms = 0;  // 0 = never
  };
  static std::string Key(const std::string& script, const std::string& key) {
    std::string k;
    k.reserve(script.size() + 1 + key.size());
    k += script;
    k += '\x1f';
    k += key;
    return k;
  }
  static bool Expired(const Entry& e, int64_t now_ms) { return e.expires_ms != 0 && e.expires_ms <= now_ms; }
  void MaybeSweep(int64_t now_ms) {
    if (++writes_ % 4096 != 0) return;
    for (auto it = map_.begin(); it != map_.end();) {
      it = Expired(it->second, now_ms) ? map_.erase(it) : std::next(it);
    }
  }

  std::mutex mu_;
  std::unordered_map<std::string, Entry> map_;  // "script\x1fkey"
  uint64_t writes_ = 0;
};

}  // namespace

std::unique_ptr<KvStore> NewMemoryKvStore() { return std::make_unique<MemoryKvStore>(); }

ScriptKv::Pending* ScriptKv::Find(const std::string& key) {
  for (auto& p : pending_) {
    if (p.key == key) return &p;
  }
  return nullptr;
}

std::optional<std::string> ScriptKv::Get(const std::string& key) {
  Pending* p = Find(key);
  if (p && p->is_set) return p->value;
  std::optional<std::string> stored = store_->Get(script_, key, now_ms_);
  if (p) return std::to_string(ParseInt(stored) + p->delta);
  return stored;
}

void ScriptKv::Set(const std::string& key, std::string value, int64_t ttl_s) {
  Pending* p = Find(key);
  if (!p) {
    p = &pending_.emplace_back();
    p->key = key;
  }
  p->is_set = true;
  p->value = std::move(value);
  p->delta = 0;
  p->ttl_s = ttl_s;
}

int64_t ScriptKv::Incr(const std::string& key, int64_t by, int64_t ttl_s) {
  Pending* p = Find(key);
  if (p && p->is_set) {
    p->value = std::to_string(ParseInt(p->value) + by);
    return ParseInt(p->value);
  }
  const int64_t stored = ParseInt(store_->Get(script_, key, now_ms_));
  if (!p) {
    p = &pending_.emplace_back();
    p->key = key;
    p->ttl_s = ttl_s;
  }
  p->delta += by;
  return stored + p->delta;
}

void ScriptKv::Commit() {
  for (const auto& p : pending_) {
    if (p.is_set) store_->Set(script_, p.key, p.value, p.ttl_s, now_ms_);
    else store_->Incr(script_, p.key, p.delta, p.ttl_s, now_ms_);
  }
  pending_.clear();
}

}  // namespace deskhook::scripts
