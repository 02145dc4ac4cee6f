// The pipeline's pause switch: its persisted state, and Pipeline::Pause / Resume.
#include <boost/json.hpp>

#include "host/log.h"
#include "host/pipeline.h"
#include "host/wall_clock.h"

namespace deskhook {
namespace json = boost::json;
namespace {

constexpr const char* kNamespace = "";  // no script is named "": script names are file names
constexpr const char* kKey = "pipeline.pause";

}  // namespace

Result<PauseState> LoadPauseState(Store* store) {
  auto raw = store->KvGet(kNamespace, kKey, WallMs());
  if (!raw.ok()) return raw.status();
  PauseState state;
  if (!raw->has_value()) return state;
  json::error_code ec;
  json::value v = json::parse(**raw, ec);
  if (ec || !v.is_object()) return Status::Internal("stored pause state is not a JSON object");
  const json::object& o = v.as_object();
  if (const json::value* p = o.if_contains("paused"); p && p->is_bool()) state.paused = p->as_bool();
  if (const json::value* p = o.if_contains("since_ms"); p && p->is_int64()) state.since_ms = p->as_int64();
  if (const json::value* p = o.if_contains("reason"); p && p->is_string()) state.reason = std::string(p->as_string());
  return state;
}

Status SavePauseState(Store* store, const PauseState& state) {
  return store->KvSet(kNamespace, kKey, PauseStateJson(state, -1), /*expires_ms=*/0);
}

std::string PauseStateJson(const PauseState& state, int64_t pending) {
  json::object o{{"paused", state.paused}, {"since_ms", state.since_ms}, {"reason", state.reason}};
  if (pending >= 0) o["pending"] = pending;
  return json::serialize(o);
}

Status Pipeline::Pause(std::string reason) {
  std::lock_guard<std::mutex> serial(pause_mu_);
  PauseState next;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (pause_.paused) return Status::Ok();
  }
  next.paused = true;
  next.since_ms = WallMs();
  next.reason = std::move(reason);
  if (Status s = SavePauseState(store_, next); !s.ok()) return s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    pause_ = next;
    paused_.store(true);
  }
  log::Warn("processing paused: webhooks are stored, nothing is processed until resumed",
            {{"reason", std::string_view(next.reason)}});
  return Status::Ok();
}

Status Pipeline::Resume() {
  std::lock_guard<std::mutex> serial(pause_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!pause_.paused) return Status::Ok();
  }
  if (Status s = SavePauseState(store_, PauseState{}); !s.ok()) return s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    pause_ = PauseState{};
    paused_.store(false);
    notified_ = true;
  }
  cv_.notify_all();
  WakeWorkers();
  auto pending = store_->CountPending();
  log::Info("processing resumed", {{"pending", pending.ok() ? *pending : int64_t{-1}}});
  return Status::Ok();
}

PauseState Pipeline::pause_state() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pause_;
}

}  // namespace deskhook
