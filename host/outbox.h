// Outbox delivery: takes the API calls the pipeline wrote to the store's outbox and delivers
// them to the helpdesks, with retries, rate limits and a circuit breaker per instance.
//
// Guarantees (see docs/outbox.md):
// - An item's state is persisted after each attempt, and also before it ("in flight") when
//   its effect can be checked (notes, drafts), so a crash at any point leads at most to a
//   resend, and a resend of a non-idempotent call is first checked against the helpdesk
//   (EffectChecker). Idempotent calls (tags, assignment, priority) are simply resent.
// - Calls of one ticket go out in outbox id order (= event order, then seq within the event);
//   an item waiting for a retry holds back the later items of its ticket, not other tickets.
// - One lane (queue, workers, token bucket, circuit breaker, HTTP client pool) per instance:
//   one instance's outage or 429s never delay another's calls.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "connectors/connector.h"
#include "connectors/model/api_call.h"
#include "connectors/model/status.h"
#include "host/store.h"

namespace deskhook {

// Tells whether a non-idempotent call (an internal note) already took effect at the helpdesk,
// so that an ambiguous failure (timeout, reset, 5xx, crash mid-call) is not followed by a
// second note. Implementations must be thread-safe.
class EffectChecker {
 public:
  virtual ~EffectChecker() = default;
  // The read-only request showing `call`'s effect, or nullopt when the call is idempotent by
  // nature (tags, assignment, priority) or cannot be checked.
  virtual std::optional<ApiCall> BuildCheck(const ApiCall& call) const = 0;
  // REQUIRES: `answer_body` is the 2xx answer to BuildCheck(call).
  virtual bool Present(const ApiCall& call, std::string_view answer_body) const = 0;
};

struct InstanceOutboxOptions {
  double rate_per_s = 10;        // sustained calls/s (Zendesk Update Ticket allows 100/min)
  int burst = 10;
  int concurrency = 1;           // workers; 1 keeps the lane strictly ordered and gentle
  bool dry_run = false;          // log calls (decision log, state done "dry-run"), send nothing
  int circuit_failures = 5;      // consecutive failures that open the circuit
  int64_t circuit_open_ms = 30000;
  int max_in_memory = 512;       // items held per lane; the rest wait in the store
  // Not owned; must outlive the delivery. nullptr = the connector's own check
  // (Connector::BuildEffectCheck / EffectPresent).
  const EffectChecker* effect_checker = nullptr;
  bool verify_tls = true;        // only for tests against self-signed servers
};

struct OutboxOptions {
  int max_attempts = 8;                 // failed attempts (5xx, timeouts, errors) before dead
  int max_rate_limited = 100;           // 429 answers per item (kept across restarts) before dead
  int64_t base_backoff_ms = 500;
  int64_t max_backoff_ms = 300000;
  int64_t default_rate_limit_wait_ms = 10000;  // 429 without Retry-After / X-RateLimit-Reset
  int64_t max_rate_limit_wait_ms = 3600000;
  int64_t connect_timeout_ms = 3000;    // read/write timeouts come from InstanceConfig.timeout_ms
  int64_t poll_interval_ms = 200;       // store poll when not woken
  int64_t min_poll_gap_ms = 2;          // polls at most this often however often woken
  int poll_batch = 256;
  InstanceOutboxOptions defaults;
  std::map<std::string, InstanceOutboxOptions> instances;  // by instance name; else defaults

  const InstanceOutboxOptions& For(const std::string& instance) const;
};

// Reads the config's "outbox" object: {"max_attempts":8, "base_backoff_ms":500,
// "max_backoff_ms":300000, "rate_per_s":10, "burst":10, "concurrency":1, "dry_run":false,
// "circuit_failures":5, "circuit_open_ms":30000, "instances":{"<name>":{...same per-instance
// keys...}}}. InvalidArgument names the field ("outbox.instances.acme.rate_per_s: ...").
Result<OutboxOptions> ParseOutboxOptions(const boost::json::object& json);

// Delivery figures since Start (metrics, bench).
struct OutboxStats {
  int64_t attempts = 0, delivered = 0, retried = 0, rate_limited = 0, dead = 0, dry_run = 0,
          effect_present = 0;
};

struct LaneStatus {
  std::string instance;
  std::string circuit;          // "closed" | "open" | "half_open"
  int64_t paused_until_ms = 0;  // 429 pause (wall ms), 0 when none
  int in_memory = 0;
  bool dry_run = false;
};

class OutboxDelivery {
 public:
  // REQUIRES: store and the connectors outlive this object. Instances with no connector get
  // their items dead-lettered ("no connector instance").
  OutboxDelivery(Store* store, std::map<std::string, const Connector*> connectors,
                 OutboxOptions options);
  ~OutboxDelivery();  // Stop()

  // Builds the HTTP clients and starts the dispatcher and lane workers. InvalidArgument for a
  // connector whose base_url is unusable. Call once.
  Status Start();
  // Lets attempts in flight finish (bounded by the timeouts), then returns. Idempotent.
  void Stop();
  // New items were committed: poll the store now rather than at the next interval.
  void Wake();

  // A dead (or dropped) item back to pending, attempts reset, due now. NotFound for an unknown
  // id; InvalidArgument when the item is pending or done.
  Status Retry(int64_t id);
  // A pending or dead item to dropped (never sent). NotFound / InvalidArgument (done, dropped) /
  // Unavailable when it is being sent right now (try again).
  Status Drop(int64_t id);

  OutboxStats Stats() const;
  std::vector<LaneStatus> Lanes() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// The same state changes for tools working on the store without a running delivery (the CLI).
// A running `deskhook serve` picks a retried item up at its next poll.
Status RetryOutboxItem(Store* store, int64_t id);
Status DropOutboxItem(Store* store, int64_t id);

// Helpers shared with tests.
// Replaces every {{name}} in `text` with its value; NotFound names the first missing variable.
Result<std::string> SubstituteCaptures(const std::string& text,
                                       const std::vector<std::pair<std::string, std::string>>& vars);
// At most `max_bytes` bytes of `body` (cut at a UTF-8 boundary, ending "..." when cut).
std::string AnswerExcerpt(std::string_view body, size_t max_bytes = 500);

}  // namespace deskhook
