// Helpers for the outbox tests: a fake connector (auth headers + the Zendesk effect check),
// a temporary store, and enqueueing calls the way the pipeline does (CommitProcessed).
#pragma once

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "connectors/call_common.h"
#include "connectors/connector.h"
#include "connectors/zendesk/zendesk_calls.h"
#include "host/store.h"

namespace deskhook::testing {

inline constexpr const char* kSecretToken = "tok-SECRET-do-not-log-123";

class FakeConnector : public Connector {
 public:
  explicit FakeConnector(InstanceConfig c) : Connector(std::move(c)) {}
  std::string_view kind() const override { return "zendesk"; }
  Status Verify(const HeaderMap&, std::string_view, int64_t) const override { return Status::Ok(); }
  Result<InboundEvent> Parse(const HeaderMap&, std::string_view) const override {
    return Status::InvalidArgument("fake");
  }
  std::vector<ApiCall> BuildCalls(const Ticket&, const DecisionSet&, std::string_view) const override {
    return {};
  }
  std::vector<std::pair<std::string, std::string>> AuthHeaders() const override {
    return {{"Authorization", std::string("Bearer ") + kSecretToken}};
  }
  bool IsOwnChange(const InboundEvent&) const override { return false; }
  std::optional<ApiCall> BuildEffectCheck(const ApiCall& call) const override {
    if (!with_check) return std::nullopt;
    return BuildZendeskEffectCheck(config(), call);
  }
  bool EffectPresent(const ApiCall& call, std::string_view body) const override {
    return EffectPresentInResponse(call, body);
  }
  bool AnswerMeansDone(const ApiCall&, int status) const override { return done_on_404 && status == 404; }
  bool with_check = true;
  std::atomic<bool> done_on_404{false};  // like Intercom's untag of an absent tag
};

inline InstanceConfig FakeInstance(const std::string& name, int port, int64_t timeout_ms = 2000) {
  InstanceConfig c;
  c.name = name;
  c.kind = "zendesk";
  c.base_url = "http://127.0.0.1:" + std::to_string(port);
  c.timeout_ms = timeout_ms;
  return c;
}

inline int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline bool WaitFor(const std::function<bool()>& pred, int64_t timeout_ms) {
  const int64_t end = NowMs() + timeout_ms;
  while (NowMs() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

struct TempStore {
  explicit TempStore(const std::string& tag) {
    dir = std::filesystem::temp_directory_path() /
          ("deskhook-outbox-" + tag + "-" + std::to_string(getpid()) + "-" + std::to_string(NowMs()));
    std::filesystem::create_directories(dir);
    path = (dir / "store.db").string();
    Reopen();
  }
  ~TempStore() {
    store.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  void Reopen() {
    store.reset();
    StoreOptions o;
    o.path = path;
    o.synchronous_full = false;
    auto s = Store::Open(o);
    if (!s.ok()) throw std::runtime_error(s.status().ToString());
    store = std::move(s.value());
  }
  std::filesystem::path dir;
  std::string path;
  std::unique_ptr<Store> store;
};

// Stores one event for (instance, ticket) and commits its calls as outbox items, in seq order.
// Returns the outbox ids of the calls (in seq order).
inline std::vector<int64_t> Enqueue(Store* store, const std::string& instance,
                                    const std::string& ticket, std::vector<ApiCall> calls) {
  static std::atomic<int64_t> counter{0};
  NewEvent ev;
  ev.instance = instance;
  ev.ticket_id = ticket;
  ev.kind = "ticket_updated";
  ev.dedupe_key = "test-" + std::to_string(getpid()) + "-" + std::to_string(NowMs()) + "-" +
                  std::to_string(counter++);
  ev.body = "{}";
  auto appended = store->AppendEvent(ev);
  if (!appended.ok()) throw std::runtime_error(appended.status().ToString());
  const int64_t event_id = appended->event_id;
  for (size_t i = 0; i < calls.size(); ++i) {
    if (calls[i].idempotency_key.empty()) {
      calls[i].idempotency_key = ev.dedupe_key + "-" + std::to_string(i);
    }
  }
  ProcessedEvent p;
  p.event_id = event_id;
  p.state = EventState::kDone;
  p.processed_ms = NowMs();
  p.calls = calls;
  Status s = store->CommitProcessed(p);
  if (!s.ok()) throw std::runtime_error(s.ToString());
  std::vector<int64_t> ids;
  auto all = store->ListOutbox(std::nullopt, 100000);
  for (const auto& item : all.value()) {
    if (item.event_id == event_id) ids.push_back(item.id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

inline ApiCall TagCall(const std::string& ticket, const std::string& tag) {
  ApiCall c;
  c.kind = "ticket_update";
  c.method = "PUT";
  c.path = "/api/v2/tickets/" + ticket;
  c.headers = {{"Content-Type", "application/json"}};
  c.body = R"({"ticket":{"additional_tags":[")" + tag + R"("]}})";
  return c;
}

// A Zendesk ticket update carrying an internal note with an effect marker.
inline ApiCall NoteCall(const std::string& ticket, const std::string& marker_hex16) {
  ApiCall c;
  c.kind = "ticket_update";
  c.method = "PUT";
  c.path = "/api/v2/tickets/" + ticket;
  c.headers = {{"Content-Type", "application/json"}};
  c.body = R"({"ticket":{"comment":{"body":"Routed to billing.\n[deskhook] ref )" + marker_hex16 +
           R"(","public":false}}})";
  return c;
}

inline std::string Marker(const std::string& hex16) { return "[deskhook] ref " + hex16; }

inline std::string Hex16(int64_t n) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(n));
  return buf;
}

}  // namespace deskhook::testing
