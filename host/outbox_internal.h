// Internals of OutboxDelivery shared by outbox_delivery.cc (lanes, workers, dispatcher) and
// outbox_attempt.cc (one delivery attempt). Not a public header.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "host/circuit_breaker.h"
#include "host/http_sender.h"
#include "host/outbox.h"
#include "host/rate_limiter.h"
#include "host/wall_clock.h"

namespace deskhook::outbox_internal {

using deskhook::WallMs;  // host/wall_clock.h

// last_error prefixes that mean "the helpdesk may have applied this call": a resend of a
// non-idempotent call must be preceded by an effect check.
inline constexpr std::string_view kInFlight = "in flight";
inline constexpr std::string_view kAmbiguous = "ambiguous";
bool MayHaveBeenApplied(const OutboxItem& item);

// A later item of `ticket` may not go before item `id` (waiting in the store until `until_ms`).
struct TicketBlock {
  int64_t id = 0;
  int64_t until_ms = 0;
};

struct Lane {
  Lane(std::string name, const Connector* connector, const InstanceOutboxOptions& opts)
      : name(std::move(name)),
        connector(connector),
        opts(opts),
        limiter(opts.rate_per_s, opts.burst),
        breaker(opts.circuit_failures, opts.circuit_open_ms) {}

  const std::string name;
  const Connector* const connector;  // nullptr: unknown instance (items are dead-lettered)
  const InstanceOutboxOptions opts;
  const EffectChecker* checker = nullptr;     // options' checker, else own_checker
  std::unique_ptr<EffectChecker> own_checker;  // the connector's BuildEffectCheck/EffectPresent
  std::unique_ptr<HttpSender> sender;
  RateLimiter limiter;
  CircuitBreaker breaker;

  std::mutex mu;  // guards everything below
  std::condition_variable cv;
  std::map<std::string, std::deque<OutboxItem>> by_ticket;  // id order per ticket
  std::set<std::string> busy;                                // tickets with an attempt running
  std::map<std::string, TicketBlock> blocked;
  std::set<int64_t> known;                                   // ids held in by_ticket
  std::set<int64_t> in_flight;
  // Items that left memory (finished, deferred, dropped) -> poll generation at that moment. A
  // poll that started before then may hold a stale row for them and must not load it again.
  std::map<int64_t, int64_t> released;
  // Tickets a worker may take now (items in memory, no attempt running), by their first item's
  // id: a worker takes the oldest in O(log n) instead of scanning every ticket. Blocked tickets
  // stay listed and are skipped when picking.
  std::set<std::pair<int64_t, std::string>> ready;
  std::map<std::string, int64_t> ready_at;  // ticket -> its key in `ready`
  std::vector<std::thread> workers;

  // Re-lists `ticket` in `ready` after its queue or busy state changed. REQUIRES: mu held.
  void Reindex(const std::string& ticket) {
    if (auto at = ready_at.find(ticket); at != ready_at.end()) {
      ready.erase({at->second, ticket});
      ready_at.erase(at);
    }
    auto q = by_ticket.find(ticket);
    if (q == by_ticket.end() || q->second.empty() || busy.count(ticket)) return;
    ready.emplace(q->second.front().id, ticket);
    ready_at[ticket] = q->second.front().id;
  }
};

// Marks an item released while its finished attempt is not yet saved: no poll may load the
// store's older row of it until the save has committed.
inline constexpr int64_t kUnsaved = INT64_MAX;

// The connector's own effect check (Connector::BuildEffectCheck / EffectPresent).
class ConnectorEffectChecker : public EffectChecker {
 public:
  explicit ConnectorEffectChecker(const Connector* c) : c_(c) {}
  std::optional<ApiCall> BuildCheck(const ApiCall& call) const override {
    return c_->BuildEffectCheck(call);
  }
  bool Present(const ApiCall& call, std::string_view body) const override {
    return c_->EffectPresent(call, body);
  }

 private:
  const Connector* c_;
};

struct Outcome {
  enum Kind { kFinished, kDeferred } kind = kFinished;  // finished: done, dead or dropped
  int64_t until_ms = 0;                                 // kDeferred: next_attempt_ms
};

struct Counters {
  std::atomic<int64_t> attempts{0}, delivered{0}, retried{0}, rate_limited{0}, dead{0},
      dry_run{0}, effect_present{0};
};

}  // namespace deskhook::outbox_internal

namespace deskhook {

class OutboxDelivery::Impl {
 public:
  Impl(Store* store, std::map<std::string, const Connector*> connectors, OutboxOptions options);

  Status Start();
  void Stop();
  void Wake();
  Status Retry(int64_t id);
  Status Drop(int64_t id);
  OutboxStats Stats() const;
  std::vector<LaneStatus> Lanes() const;

  // outbox_attempt.cc
  outbox_internal::Outcome Attempt(outbox_internal::Lane& lane, OutboxItem item);

 private:
  void DispatchLoop();
  int PollOnce();
  void ClearStaleBlocks(outbox_internal::Lane& lane, int64_t now);
  void BlockTicketsFromStore();
  void WorkerLoop(outbox_internal::Lane* lane);
  void ResultWriterLoop();
  // Queues the item's new row and its decision-log entry for the result writer, which saves
  // them in batches (one store write for many attempts).
  void SaveResult(const OutboxItem& item, LogEntry log);

  // outbox_attempt.cc
  outbox_internal::Outcome Finish(outbox_internal::Lane& lane, OutboxItem& item, OutboxState state,
                                  const std::string& outcome, int status, int64_t duration_ms);
  outbox_internal::Outcome Defer(outbox_internal::Lane& lane, OutboxItem& item, int64_t until_ms,
                                 const std::string& outcome, int status, int64_t duration_ms);
  outbox_internal::Outcome Failed(outbox_internal::Lane& lane, OutboxItem& item,
                                  const std::string& error, int status, int64_t duration_ms);
  LogEntry AttemptLog(const OutboxItem& item, const std::string& outcome, int status,
                      int64_t duration_ms) const;
  std::vector<std::pair<std::string, std::string>> SendHeaders(const outbox_internal::Lane& lane,
                                                               const ApiCall& call) const;
  int64_t Backoff(int attempt);

 public:
  Store* const store_;
  const std::map<std::string, const Connector*> connectors_;
  const OutboxOptions options_;
  outbox_internal::Counters counters_;

 private:
  std::map<std::string, std::unique_ptr<outbox_internal::Lane>> lanes_;
  std::atomic<bool> started_{false}, stopping_{false};
  std::atomic<int64_t> poll_gen_{0};
  std::thread dispatcher_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool wake_ = false;

  std::mutex rng_mu_;
  std::mt19937_64 rng_{std::random_device{}()};

  // Finished attempts waiting for the result writer: each item's new row and its log entry.
  std::mutex results_mu_;
  std::condition_variable results_cv_;
  std::vector<std::pair<OutboxItem, LogEntry>> results_;  // guarded by results_mu_
  bool results_stop_ = false;                              // guarded by results_mu_
  std::thread result_writer_;
};

}  // namespace deskhook
