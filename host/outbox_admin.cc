// Outbox options parsing, dead-letter recovery on the store, and small shared helpers.
#include <set>

#include <boost/json.hpp>

#include "host/outbox.h"

namespace deskhook {
namespace {

namespace json = boost::json;

Status ReadNumber(const json::object& o, const char* key, const std::string& where, double* out,
                  double min) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return Status::Ok();
  if (!v->is_number()) return Status::InvalidArgument(where + key + ": must be a number");
  double d = v->is_double() ? v->as_double()
             : v->is_int64() ? static_cast<double>(v->as_int64())
                             : static_cast<double>(v->as_uint64());
  if (d < min) return Status::InvalidArgument(where + key + ": must be >= " + std::to_string(min));
  *out = d;
  return Status::Ok();
}

template <typename T>
Status ReadInt(const json::object& o, const char* key, const std::string& where, T* out, T min) {
  double d = static_cast<double>(*out);
  Status s = ReadNumber(o, key, where, &d, static_cast<double>(min));
  if (!s.ok()) return s;
  if (d != static_cast<double>(static_cast<int64_t>(d))) {
    return Status::InvalidArgument(where + key + ": must be an integer");
  }
  *out = static_cast<T>(d);
  return Status::Ok();
}

Status ReadInstance(const json::object& o, const std::string& where, InstanceOutboxOptions* out) {
  Status s;
  if (!(s = ReadNumber(o, "rate_per_s", where, &out->rate_per_s, 0)).ok()) return s;
  if (!(s = ReadInt(o, "burst", where, &out->burst, 1)).ok()) return s;
  if (!(s = ReadInt(o, "concurrency", where, &out->concurrency, 1)).ok()) return s;
  if (!(s = ReadInt(o, "circuit_failures", where, &out->circuit_failures, 1)).ok()) return s;
  if (!(s = ReadInt<int64_t>(o, "circuit_open_ms", where, &out->circuit_open_ms, 0)).ok()) return s;
  if (!(s = ReadInt(o, "max_in_memory", where, &out->max_in_memory, 1)).ok()) return s;
  if (const json::value* v = o.if_contains("dry_run")) {
    if (!v->is_bool()) return Status::InvalidArgument(where + "dry_run: must be true or false");
    out->dry_run = v->as_bool();
  }
  return Status::Ok();
}

}  // namespace

const InstanceOutboxOptions& OutboxOptions::For(const std::string& instance) const {
  auto it = instances.find(instance);
  return it == instances.end() ? defaults : it->second;
}

Result<OutboxOptions> ParseOutboxOptions(const json::object& o) {
  static const std::set<std::string_view> kTop = {
      "max_attempts", "max_rate_limited", "base_backoff_ms", "max_backoff_ms",
      "default_rate_limit_wait_ms", "max_rate_limit_wait_ms", "connect_timeout_ms",
      "poll_interval_ms", "poll_batch", "instances", "rate_per_s", "burst", "concurrency",
      "dry_run", "circuit_failures", "circuit_open_ms", "max_in_memory"};
  static const std::set<std::string_view> kPerInstance = {
      "rate_per_s", "burst", "concurrency", "dry_run", "circuit_failures", "circuit_open_ms",
      "max_in_memory"};
  OutboxOptions out;
  const std::string where = "outbox.";
  for (const auto& kv : o) {
    if (!kTop.count(kv.key())) {
      return Status::InvalidArgument(where + std::string(kv.key()) + ": unknown field");
    }
  }
  Status s;
  if (!(s = ReadInt(o, "max_attempts", where, &out.max_attempts, 1)).ok()) return s;
  if (!(s = ReadInt(o, "max_rate_limited", where, &out.max_rate_limited, 1)).ok()) return s;
  if (!(s = ReadInt<int64_t>(o, "base_backoff_ms", where, &out.base_backoff_ms, 1)).ok()) return s;
  if (!(s = ReadInt<int64_t>(o, "max_backoff_ms", where, &out.max_backoff_ms, 1)).ok()) return s;
  if (!(s = ReadInt<int64_t>(o, "default_rate_limit_wait_ms", where,
                             &out.default_rate_limit_wait_ms, 0)).ok()) return s;
  if (!(s = ReadInt<int64_t>(o, "max_rate_limit_wait_ms", where, &out.max_rate_limit_wait_ms,
                             0)).ok()) return s;
  if (!(s = ReadInt<int64_t>(o, "connect_timeout_ms", where, &out.connect_timeout_ms, 1)).ok()) return s;
  if (!(s = ReadInt<int64_t>(o, "poll_interval_ms", where, &out.poll_interval_ms, 1)).ok()) return s;
  if (!(s = ReadInt(o, "poll_batch", where, &out.poll_batch, 1)).ok()) return s;
  if (out.max_backoff_ms < out.base_backoff_ms) {
    return Status::InvalidArgument(where + "max_backoff_ms: must be >= base_backoff_ms");
  }
  if (!(s = ReadInstance(o, where, &out.defaults)).ok()) return s;
  if (const json::value* v = o.if_contains("instances")) {
    if (!v->is_object()) return Status::InvalidArgument(where + "instances: must be an object");
    for (const auto& kv : v->as_object()) {
      std::string w = where + "instances." + std::string(kv.key()) + ".";
      if (!kv.value().is_object()) return Status::InvalidArgument(w.substr(0, w.size() - 1) +
                                                                  ": must be an object");
      for (const auto& f : kv.value().as_object()) {
        if (!kPerInstance.count(f.key())) {
          return Status::InvalidArgument(w + std::string(f.key()) + ": unknown field");
        }
      }
      InstanceOutboxOptions inst = out.defaults;
      if (!(s = ReadInstance(kv.value().as_object(), w, &inst)).ok()) return s;
      out.instances[std::string(kv.key())] = inst;
    }
  }
  return out;
}

Status RetryOutboxItem(Store* store, int64_t id) {
  auto item = store->GetOutbox(id);
  if (!item.ok()) return item.status();
  if (item->state != OutboxState::kDead && item->state != OutboxState::kDropped) {
    return Status::InvalidArgument("outbox item " + std::to_string(id) + " is " +
                                   std::string(OutboxStateName(item->state)) +
                                   "; only dead or dropped items can be retried");
  }
  OutboxItem next = item.value();
  next.state = OutboxState::kPending;
  next.attempts = 0;
  next.rate_limited = 0;
  next.next_attempt_ms = 0;
  next.updated_ms = 0;
  next.last_error = "retry requested (was: " + AnswerExcerpt(item->last_error, 200) + ")";
  return store->UpdateOutbox(next);
}

Status DropOutboxItem(Store* store, int64_t id) {
  auto item = store->GetOutbox(id);
  if (!item.ok()) return item.status();
  if (item->state != OutboxState::kDead && item->state != OutboxState::kPending) {
    return Status::InvalidArgument("outbox item " + std::to_string(id) + " is " +
                                   std::string(OutboxStateName(item->state)) +
                                   "; only pending or dead items can be dropped");
  }
  OutboxItem next = item.value();
  next.state = OutboxState::kDropped;
  next.updated_ms = 0;
  next.last_error = "dropped by operator (was: " + AnswerExcerpt(item->last_error, 200) + ")";
  return store->UpdateOutbox(next);
}

Result<std::string> SubstituteCaptures(
    const std::string& text, const std::vector<std::pair<std::string, std::string>>& vars) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (true) {
    size_t open = text.find("{{", pos);
    if (open == std::string::npos) break;
    size_t close = text.find("}}", open + 2);
    if (close == std::string::npos) break;
    std::string name = text.substr(open + 2, close - open - 2);
    const std::string* value = nullptr;
    for (const auto& [k, v] : vars) {
      if (k == name) value = &v;
    }
    if (value == nullptr) return Status::NotFound("capture {{" + name + "}} has no value");
    out.append(text, pos, open - pos);
    out += *value;
    pos = close + 2;
  }
  out.append(text, pos, std::string::npos);
  return out;
}

std::string AnswerExcerpt(std::string_view body, size_t max_bytes) {
  if (body.size() <= max_bytes) return std::string(body);
  if (max_bytes < 4) return std::string(body.substr(0, max_bytes));
  size_t cut = max_bytes - 3;
  // Do not split a UTF-8 sequence: back off over continuation bytes.
  while (cut > 0 && (static_cast<unsigned char>(body[cut]) & 0xC0) == 0x80) --cut;
  return std::string(body.substr(0, cut)) + "...";
}

}  // namespace deskhook
