// The processing pipeline: workers take stored events in id order (per ticket, always on the same
// worker, so a ticket's events are processed in the order they were stored), normalise them,
// score sentiment, ask the FAQ index, run the scripts, and commit the decision log and the
// outbox calls together with the event's new state in one transaction.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "connectors/connector.h"
#include "host/event_processor.h"
#include "host/sentiment_cache.h"
#include "host/store.h"
#include "scripts/runtime.h"
#include "sentiment/sentiment.h"

namespace deskhook {

struct PipelineOptions {
  int workers = 2;
  scripts::RuntimeConfig scripts;
  int dispatch_batch = 512;
  int commit_batch = 64;   // events per worker commit (distinct tickets)
  int worker_nice = 10;    // processing threads yield to the HTTP threads under overload
  int64_t max_queued = 2048;  // events held in memory across workers; the rest wait in the store
  // Events normalised at ingest, handed over in memory so a worker does not read and parse the
  // stored body again; bytes held at most (approximate). 0 = no hand-off (always the store path).
  size_t handoff_bytes = 4 << 20;
  // Per worker: sentiment histories kept in memory (host/sentiment_cache.h), so an event does
  // not read its conversation's history from the store. 0 tickets = always read the store.
  size_t sentiment_cache_tickets = 8192;
  size_t sentiment_cache_compounds = 256;  // longer histories are read from the store
};

// Normalised events waiting for the dispatcher, keyed by stored event id. Bounded by bytes: an
// offer that does not fit is dropped and the event takes the store path (parse of the stored
// body). An offer for an id the dispatcher has already passed is dropped too, so nothing is
// left behind. Thread-safe.
class NormalisedHandoff {
 public:
  explicit NormalisedHandoff(size_t max_bytes) : max_bytes_(max_bytes) {}
  // REQUIRES: `event_id` was committed. Returns false when dropped.
  bool Offer(int64_t event_id, std::string instance, std::unique_ptr<InboundEvent> event);
  // Called by the dispatcher in increasing id order: the entry for `event_id` if it was offered
  // for the same instance and ticket, and every entry with a smaller id is dropped from now on.
  std::unique_ptr<InboundEvent> Take(int64_t event_id, const std::string& instance, const std::string& ticket_id);
  size_t bytes() const;
  size_t size() const;

  static size_t ApproxBytes(const InboundEvent& e);

 private:
  struct Entry {
    std::string instance;
    std::unique_ptr<InboundEvent> event;
    size_t bytes = 0;
  };
  const size_t max_bytes_;
  mutable std::mutex mu_;
  std::map<int64_t, Entry> entries_;  // guarded by mu_
  size_t bytes_ = 0;                  // guarded by mu_
  int64_t taken_through_ = 0;         // guarded by mu_: ids up to this one were dispatched
};

// Processing on hold: an operator's switch for when scripts misbehave or the helpdesk must not
// be touched. Webhooks are still verified, stored and acknowledged; no event is processed (no
// script runs, no call is queued) until it is resumed. Kept in the store, so a restart stays
// paused.
struct PauseState {
  bool paused = false;
  int64_t since_ms = 0;  // wall ms when paused
  std::string reason;    // the operator's words; may be empty
};
// The persisted state (the store's kv table, under the script name "", which no script has).
// A store without one reads as not paused.
Result<PauseState> LoadPauseState(Store* store);
Status SavePauseState(Store* store, const PauseState& state);
std::string PauseStateJson(const PauseState& state, int64_t pending);

class Pipeline {
 public:
  // REQUIRES: every pointer outlives the Pipeline. `hooks` may be empty.
  Pipeline(PipelineOptions options, Store* store, std::map<std::string, const Connector*> connectors,
           const sentiment::Scorer* scorer, ProcessorHooks hooks);
  ~Pipeline();

  // Compiles scripts for every worker (refuses bad ones), reads the persisted pause state, then
  // starts the dispatcher and the workers; pending events left from an earlier run are
  // processed first (unless paused).
  Status Start();

  // Holds processing. Events being processed finish (at most commit_batch per worker); queued
  // and new ones wait, in order, until Resume(). Saved to the store first: on a store error
  // nothing changes. Pausing when paused keeps the first time and reason. Any thread.
  Status Pause(std::string reason);
  // Processing continues with the oldest waiting event. Saved first, like Pause. Any thread.
  Status Resume();
  PauseState pause_state() const;

  // A new event was committed; the dispatcher reads it from the store. Cheap; any thread.
  void Notify();
  // Notify() for a committed event with its delivery as normalised at ingest: the worker uses it
  // instead of parsing the stored body again (the store stays the source of truth: restarts,
  // backlog beyond the hand-off bound and replays parse the stored body). Any thread.
  void Offer(int64_t event_id, const std::string& instance, InboundEvent&& event);

  // Stops taking new work, finishes every event already dispatched, joins the threads.
  void Stop();

  // Trial-compiles `scripts` (SIGHUP); when it compiles, each worker switches to it before its
  // next event. On error the running scripts stay and the error is returned.
  Status Reload(const scripts::RuntimeConfig& scripts);
  // Waits until every pending event in the store is processed, or `timeout` passes. Returns at
  // once while paused: the pending events are processed after a resume.
  void Drain(std::chrono::milliseconds timeout);

  int64_t processed() const { return processed_.load(); }
  int64_t queued() const;

 private:
  struct Worker;
  struct Work;
  void DispatchLoop();
  void WorkerLoop(Worker* w);
  void WakeWorkers();  // after a resume

  PipelineOptions options_;
  Store* store_;
  const sentiment::Scorer* scorer_;
  ProcessorHooks hooks_;

  const std::map<std::string, const Connector*> connectors_;  // fixed for the process lifetime

  std::vector<std::unique_ptr<Worker>> workers_;
  std::thread dispatcher_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  PauseState pause_;             // guarded by mu_
  std::atomic<bool> paused_{false};  // pause_.paused, for the workers and Offer
  std::mutex pause_mu_;          // serialises Pause/Resume (held across the store write)
  bool notified_ = false;   // guarded by mu_
  bool stopping_ = false;   // guarded by mu_
  int64_t last_dispatched_ = 0;  // dispatcher thread only
  std::atomic<int64_t> processed_{0};
  NormalisedHandoff handoff_;
};

}  // namespace deskhook
