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
#include <string>
#include <thread>
#include <vector>

#include "connectors/connector.h"
#include "host/event_processor.h"
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
};

class Pipeline {
 public:
  // REQUIRES: every pointer outlives the Pipeline. `hooks` may be empty.
  Pipeline(PipelineOptions options, Store* store, std::map<std::string, const Connector*> connectors,
           const sentiment::Scorer* scorer, ProcessorHooks hooks);
  ~Pipeline();

  // Compiles scripts for every worker (refuses bad ones), then starts the dispatcher and the
  // workers; pending events left from an earlier run are processed first.
  Status Start();

  // A new event was committed; the dispatcher reads it from the store. Cheap; any thread.
  void Notify();

  // Stops taking new work, finishes every event already dispatched, joins the threads.
  void Stop();

  // Trial-compiles `scripts` (SIGHUP); when it compiles, each worker switches to it before its
  // next event. On error the running scripts stay and the error is returned.
  Status Reload(const scripts::RuntimeConfig& scripts);
  // Waits until every pending event in the store is processed, or `timeout` passes.
  void Drain(std::chrono::milliseconds timeout);

  int64_t processed() const { return processed_.load(); }
  int64_t queued() const;

 private:
  struct Worker;
  void DispatchLoop();
  void WorkerLoop(Worker* w);

  PipelineOptions options_;
  Store* store_;
  const sentiment::Scorer* scorer_;
  ProcessorHooks hooks_;

  const std::map<std::string, const Connector*> connectors_;  // fixed for the process lifetime

  std::vector<std::unique_ptr<Worker>> workers_;
  std::thread dispatcher_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool notified_ = false;   // guarded by mu_
  bool stopping_ = false;   // guarded by mu_
  int64_t last_dispatched_ = 0;  // dispatcher thread only
  std::atomic<int64_t> processed_{0};
};

}  // namespace deskhook
