// One delivery attempt of one outbox item: captures, dry-run, effect check, the call itself,
// and what its answer means (done, retry later, or dead letter). A checkable call is persisted
// "in flight" before it is sent; every result is saved after it (batched by the result writer)
// and appended to the event's decision log.
#include <boost/json.hpp>

#include "host/outbox_internal.h"
#include "host/retry_policy.h"

namespace deskhook {

using outbox_internal::kAmbiguous;
using outbox_internal::kInFlight;
using outbox_internal::Lane;
using outbox_internal::Outcome;
using outbox_internal::WallMs;

namespace {

namespace json = boost::json;

constexpr size_t kExcerptBytes = 500;

bool Is2xx(int status) { return status >= 200 && status < 300; }

// Non-2xx answers worth retrying: 408 (request timeout) and 409 (Zendesk: update conflict,
// retry documented) are retried without counting against the helpdesk's health.
bool IsRetriable4xx(int status) { return status == 408 || status == 409; }

// The captured value as text: strings as they are, other JSON as serialized.
std::optional<std::string> Capture(const std::string& body, const std::string& pointer) {
  try {
    json::value v = json::parse(body);
    boost::system::error_code ec;
    const json::value* found = v.find_pointer(pointer, ec);
    if (found == nullptr || ec) return std::nullopt;
    if (found->is_string()) return std::string(found->as_string());
    if (found->is_null()) return std::nullopt;
    return json::serialize(*found);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

int64_t OutboxDelivery::Impl::Backoff(int attempt) {
  std::lock_guard<std::mutex> lock(rng_mu_);
  return BackoffDelayMs({options_.base_backoff_ms, options_.max_backoff_ms}, attempt, rng_);
}

std::vector<std::pair<std::string, std::string>> OutboxDelivery::Impl::SendHeaders(
    const Lane& lane, const ApiCall& call) const {
  std::vector<std::pair<std::string, std::string>> headers = call.headers;
  for (auto& h : lane.connector->AuthHeaders()) headers.push_back(std::move(h));
  // Lets a helpdesk (or the stand-in) recognise a resend; real APIs ignore unknown headers.
  if (!call.idempotency_key.empty()) headers.emplace_back("X-Deskhook-Key", call.idempotency_key);
  return headers;
}

LogEntry OutboxDelivery::Impl::AttemptLog(const OutboxItem& item, const std::string& outcome,
                                          int status, int64_t duration_ms) const {
  json::object rec;
  rec["outbox_id"] = item.id;
  rec["seq"] = item.seq;
  rec["instance"] = item.instance;
  rec["call"] = item.call.kind;
  rec["method"] = item.call.method;
  rec["path"] = item.call.path;
  rec["attempt"] = item.attempts;
  rec["outcome"] = outcome;
  rec["status"] = status;
  rec["state"] = std::string(OutboxStateName(item.state));
  if (!item.last_error.empty()) rec["error"] = item.last_error;
  rec["duration_ms"] = duration_ms;
  if (item.state == OutboxState::kPending) rec["next_attempt_ms"] = item.next_attempt_ms;
  return LogEntry{item.event_id, "delivery", json::serialize(rec), WallMs()};
}

Outcome OutboxDelivery::Impl::Finish(Lane& lane, OutboxItem& item, OutboxState state,
                                     const std::string& outcome, int status, int64_t duration_ms) {
  item.state = state;
  item.last_status = status;
  item.updated_ms = WallMs();
  SaveResult(item, AttemptLog(item, outcome, status, duration_ms));
  if (state == OutboxState::kDead) counters_.dead++;
  return {Outcome::kFinished, 0};
}

Outcome OutboxDelivery::Impl::Defer(Lane& lane, OutboxItem& item, int64_t until_ms,
                                    const std::string& outcome, int status, int64_t duration_ms) {
  item.state = OutboxState::kPending;
  item.last_status = status;
  item.next_attempt_ms = until_ms;
  item.updated_ms = WallMs();
  SaveResult(item, AttemptLog(item, outcome, status, duration_ms));
  return {Outcome::kDeferred, until_ms};
}

// A 5xx, timeout, connection error or failed effect check: retry with backoff, or give up.
Outcome OutboxDelivery::Impl::Failed(Lane& lane, OutboxItem& item, const std::string& error,
                                     int status, int64_t duration_ms) {
  if (item.attempts >= options_.max_attempts) {
    item.last_error = "gave up after " + std::to_string(item.attempts) + " attempts; last: " + error;
    return Finish(lane, item, OutboxState::kDead, "dead", status, duration_ms);
  }
  item.last_error = error;
  counters_.retried++;
  return Defer(lane, item, WallMs() + Backoff(item.attempts), "retry", status, duration_ms);
}

Outcome OutboxDelivery::Impl::Attempt(Lane& lane, OutboxItem item) {
  counters_.attempts++;
  const ApiCall original = item.call;

  // Captures from earlier calls of the same event ({{name}} in path or body).
  if (item.call.path.find("{{") != std::string::npos ||
      item.call.body.find("{{") != std::string::npos) {
    auto vars = store_->OutboxVars(item.event_id);
    if (!vars.ok()) return {Outcome::kDeferred, WallMs() + 1000};  // store busy: nothing sent
    auto path = SubstituteCaptures(item.call.path, vars.value());
    auto body = SubstituteCaptures(item.call.body, vars.value());
    if (path.ok() && body.ok()) {
      item.call.path = path.value();
      item.call.body = body.value();
    } else if (!lane.opts.dry_run) {
      item.last_error = (path.ok() ? body.status() : path.status()).message() +
                        " (an earlier call of the event did not deliver it; retry that one first)";
      item.call = original;
      return Finish(lane, item, OutboxState::kDead, "dead", 0, 0);
    }
  }

  if (lane.opts.dry_run) {
    item.last_error = "dry-run";
    counters_.dry_run++;
    return Finish(lane, item, OutboxState::kDone, "dry-run", 0, 0);
  }

  const int64_t now = WallMs();
  // A resend of a call that may already have taken effect: ask the helpdesk first.
  if (lane.checker != nullptr && item.attempts > 0 && outbox_internal::MayHaveBeenApplied(item)) {
    if (auto check = lane.checker->BuildCheck(item.call)) {
      HttpAnswer answer = lane.sender->Send(check->method, check->path,
                                            SendHeaders(lane, *check), check->body);
      if (Is2xx(answer.status) && lane.checker->Present(item.call, answer.body)) {
        lane.breaker.OnSuccess();
        counters_.effect_present++;
        item.last_error = "effect already present at the helpdesk (checked); not resent";
        return Finish(lane, item, OutboxState::kDone, "effect-present", answer.status,
                      answer.duration_ms);
      }
      if (!Is2xx(answer.status)) {
        // Unknown whether the earlier attempt took effect: do not risk a second one.
        if (answer.status == 0 || answer.status >= 500) lane.breaker.OnFailure(WallMs());
        else lane.breaker.OnNeutral();
        item.attempts += 1;
        std::string why = answer.status == 0 ? answer.error
                                             : "HTTP " + std::to_string(answer.status);
        return Failed(lane, item, std::string(kAmbiguous) + ": effect check failed: " + why,
                      answer.status, answer.duration_ms);
      }
    }
  }

  // Persist "in flight" before sending a call whose effect can be checked (a note, a draft):
  // after a crash it is resent only after the check. Idempotent calls (tags, assignment,
  // priority) skip this commit: resending them after a crash changes nothing.
  item.attempts += 1;
  item.last_error = std::string(kInFlight) + " (attempt " + std::to_string(item.attempts) + ")";
  item.last_status = 0;
  item.updated_ms = 0;
  const bool checkable = lane.checker != nullptr && lane.checker->BuildCheck(item.call).has_value();
  if (checkable && !store_->UpdateOutbox(item).ok()) {
    lane.breaker.OnNeutral();
    return {Outcome::kDeferred, now + 1000};  // nothing sent; the store row is unchanged
  }

  HttpAnswer answer =
      lane.sender->Send(item.call.method, item.call.path, SendHeaders(lane, item.call),
                        item.call.body);
  const int status = answer.status;

  if (Is2xx(status)) {
    lane.breaker.OnSuccess();
    item.last_error.clear();
    if (!item.call.capture_as.empty() && !item.call.capture_pointer.empty()) {
      auto value = Capture(answer.body, item.call.capture_pointer);
      if (!value) {
        item.last_error = "delivered, but the answer has no " + item.call.capture_pointer +
                          " to capture as {{" + item.call.capture_as + "}}";
      } else if (!store_->SetOutboxVar(item.event_id, item.call.capture_as, *value).ok()) {
        // Not saved: deliver again later (creating a tag by name is idempotent).
        lane.breaker.OnNeutral();
        item.last_error = std::string(kAmbiguous) + ": delivered but capture not saved";
        return Defer(lane, item, WallMs() + 1000, "retry", status, answer.duration_ms);
      }
    }
    counters_.delivered++;
    return Finish(lane, item, OutboxState::kDone, "done", status, answer.duration_ms);
  }

  if (status == 429) {
    lane.breaker.OnNeutral();
    const int64_t t = WallMs();
    std::optional<int64_t> wait = ParseRetryAfterMs(answer.Header("Retry-After"), t);
    if (!wait) wait = ParseRateLimitResetMs(answer.Header("X-RateLimit-Reset"), t);
    if (!wait) wait = ParseRateLimitResetMs(answer.Header("ratelimit-reset"), t);
    int64_t wait_ms = std::clamp<int64_t>(wait.value_or(options_.default_rate_limit_wait_ms), 0,
                                          options_.max_rate_limit_wait_ms);
    lane.limiter.PauseUntil(t + wait_ms);
    counters_.rate_limited++;
    item.attempts -= 1;  // a 429 is the helpdesk pacing us, not a failed attempt
    const int count = ++item.rate_limited;  // saved with the item: the cap holds across restarts
    item.last_error = "rate limited: HTTP 429, waiting " + std::to_string(wait_ms) + " ms";
    if (count > options_.max_rate_limited) {
      item.last_error = "rate limited " + std::to_string(count) + " times; giving up";
      return Finish(lane, item, OutboxState::kDead, "dead", status, answer.duration_ms);
    }
    return Defer(lane, item, t + wait_ms, "rate-limited", status, answer.duration_ms);
  }

  if (status == 0) {
    lane.breaker.OnFailure(WallMs());
    std::string prefix = answer.transport == TransportError::kNotSent ? "not sent: "
                                                                      : std::string(kAmbiguous) + ": ";
    return Failed(lane, item, prefix + answer.error, 0, answer.duration_ms);
  }
  if (status >= 500) {
    lane.breaker.OnFailure(WallMs());
    return Failed(lane, item,
                  std::string(kAmbiguous) + ": HTTP " + std::to_string(status) + ": " +
                      AnswerExcerpt(answer.body, 200),
                  status, answer.duration_ms);
  }
  lane.breaker.OnNeutral();
  if (lane.connector->AnswerMeansDone(item.call, status)) {
    counters_.delivered++;
    item.last_error = "HTTP " + std::to_string(status) + " means it is already so (nothing to change): " +
                      AnswerExcerpt(answer.body, 200);
    return Finish(lane, item, OutboxState::kDone, "done", status, answer.duration_ms);
  }
  if (IsRetriable4xx(status)) {
    return Failed(lane, item, "HTTP " + std::to_string(status) + ": " +
                                  AnswerExcerpt(answer.body, 200),
                  status, answer.duration_ms);
  }
  // 3xx and other 4xx: the request itself is wrong; retrying will not help.
  std::string excerpt = AnswerExcerpt(answer.body, kExcerptBytes);
  item.last_error = "HTTP " + std::to_string(status) + ": " + excerpt;
  return Finish(lane, item, OutboxState::kDead, "dead", status, answer.duration_ms);
}

}  // namespace deskhook
