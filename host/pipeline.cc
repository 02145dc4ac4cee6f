#include "host/pipeline.h"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>

#include "host/log.h"
#include "host/metrics.h"
#include "host/wall_clock.h"

namespace deskhook {
namespace {

size_t StringBytes(const std::string& s) { return s.capacity() > 15 ? s.capacity() + 1 : 0; }

}  // namespace

size_t NormalisedHandoff::ApproxBytes(const InboundEvent& e) {
  const Ticket& t = e.ticket;
  size_t n = sizeof(InboundEvent) + 64;  // + the map node
  for (const std::string* s : {&e.topic, &e.delivery_id, &e.actor_id, &t.instance, &t.platform, &t.id, &t.subject,
                               &t.requester.id, &t.requester.name, &t.requester.email, &t.assignee.id,
                               &t.assignee.name, &t.assignee.email, &t.group_id, &t.group_name, &t.priority,
                               &t.status, &t.channel, &t.url}) {
    n += StringBytes(*s);
  }
  n += t.messages.capacity() * sizeof(Message);
  for (const Message& m : t.messages) n += StringBytes(m.id) + StringBytes(m.author_id) + StringBytes(m.body);
  n += t.tags.capacity() * sizeof(std::string);
  for (const std::string& tag : t.tags) n += StringBytes(tag);
  return n;
}

bool NormalisedHandoff::Offer(int64_t event_id, std::string instance, std::unique_ptr<InboundEvent> event) {
  const size_t bytes = ApproxBytes(*event) + StringBytes(instance);
  // The map node is made before taking the lock: the HTTP threads offer concurrently.
  std::map<int64_t, Entry> one;
  one.try_emplace(event_id, Entry{std::move(instance), std::move(event), bytes});
  std::lock_guard<std::mutex> lock(mu_);
  if (event_id <= taken_through_ || bytes_ + bytes > max_bytes_) return false;
  if (!entries_.insert(one.extract(one.begin())).inserted) return false;
  bytes_ += bytes;
  return true;
}

std::unique_ptr<InboundEvent> NormalisedHandoff::Take(int64_t event_id, const std::string& instance,
                                                      const std::string& ticket_id) {
  std::unique_ptr<InboundEvent> out;
  std::vector<decltype(entries_)::node_type> dropped;  // freed after the lock is released
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (event_id > taken_through_) taken_through_ = event_id;
    // Entries at or below the dispatched id can never be taken later: drop them with this one.
    while (!entries_.empty() && entries_.begin()->first <= event_id) {
      auto node = entries_.extract(entries_.begin());
      Entry& e = node.mapped();
      bytes_ -= e.bytes;
      if (node.key() == event_id && e.instance == instance && e.event->ticket.id == ticket_id) {
        out = std::move(e.event);
      }
      dropped.push_back(std::move(node));
    }
  }
  return out;
}

size_t NormalisedHandoff::bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_;
}

size_t NormalisedHandoff::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

struct Pipeline::Work {
  StoredEvent stored;
  std::unique_ptr<InboundEvent> normalised;  // from ingest, when handed over
};

struct Pipeline::Worker {
  std::unique_ptr<EventProcessor> processor;
  std::thread thread;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Work> queue;         // guarded by mu
  bool stop = false;              // guarded by mu
  std::atomic<bool> reload{false};
  std::mutex config_mu;
  scripts::RuntimeConfig config;  // guarded by config_mu; what to compile on reload
  std::unique_ptr<SentimentHistoryCache> histories;  // worker thread only
};

Pipeline::Pipeline(PipelineOptions options, Store* store, std::map<std::string, const Connector*> connectors,
                   const sentiment::Scorer* scorer, ProcessorHooks hooks)
    : options_(std::move(options)), store_(store), scorer_(scorer), hooks_(std::move(hooks)),
      connectors_(std::move(connectors)), handoff_(options_.handoff_bytes) {}

Pipeline::~Pipeline() { Stop(); }

Status Pipeline::Start() {
  auto pause = LoadPauseState(store_);
  if (!pause.ok()) return pause.status();
  pause_ = *pause;
  paused_.store(pause_.paused);
  if (pause_.paused) {
    log::Warn("processing is paused (POST /api/pipeline/resume continues it): webhooks are stored, not processed",
              {{"since_ms", pause_.since_ms}, {"reason", std::string_view(pause_.reason)}});
  }
  for (int i = 0; i < options_.workers; ++i) {
    auto p = EventProcessor::Create(options_.scripts, store_, scorer_, &hooks_);
    if (!p.ok()) return p.status();
    auto w = std::make_unique<Worker>();
    w->processor = std::move(p.value());
    w->histories = std::make_unique<SentimentHistoryCache>(options_.sentiment_cache_tickets,
                                                           options_.sentiment_cache_compounds);
    workers_.push_back(std::move(w));
  }
  for (auto& w : workers_) w->thread = std::thread([this, ptr = w.get()] { WorkerLoop(ptr); });
  dispatcher_ = std::thread([this] { DispatchLoop(); });
  Notify();  // pick up what an earlier run left pending
  return Status::Ok();
}

void Pipeline::Notify() {
  // Called once per stored webhook: wake the dispatcher only when it is not already due to run,
  // so a burst costs one wake-up, not one per event.
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (notified_) return;
    notified_ = true;
  }
  cv_.notify_one();
}

void Pipeline::Offer(int64_t event_id, const std::string& instance, InboundEvent&& event) {
  // While paused nothing is taken: the hand-off would hold its bound of memory for as long as
  // the pause lasts. The events are parsed from the store after the resume.
  if (options_.handoff_bytes > 0 && !paused_.load()) handoff_.Offer(event_id, instance, std::make_unique<InboundEvent>(std::move(event)));
  Notify();
}

void Pipeline::WakeWorkers() {
  for (auto& w : workers_) {
    // Under the worker's lock, so a worker between its check and its wait cannot miss it.
    { std::lock_guard<std::mutex> lock(w->mu); }
    w->cv.notify_all();
  }
}

int64_t Pipeline::queued() const {
  int64_t n = 0;
  for (const auto& w : workers_) {
    std::lock_guard<std::mutex> lock(w->mu);
    n += static_cast<int64_t>(w->queue.size());
  }
  return n;
}

Status Pipeline::Reload(const scripts::RuntimeConfig& config) {
  // Trial compile first, so a bad script is refused with its error and nothing changes.
  auto kv = scripts::NewMemoryKvStore();
  auto trial = scripts::Runtime::Create(config, kv.get());
  if (!trial.ok()) return trial.status();
  options_.scripts = config;
  for (auto& w : workers_) {
    {
      std::lock_guard<std::mutex> lock(w->config_mu);
      w->config = config;
    }
    w->reload = true;
  }
  return Status::Ok();
}

void Pipeline::Drain(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (paused_.load()) {  // also when paused during the drain
      auto pending = store_->CountPending();
      log::Warn("processing is paused: pending events stay stored and are processed after a resume",
                {{"pending", pending.ok() ? *pending : int64_t{-1}}});
      return;
    }
    Notify();
    auto pending = store_->CountPending();
    if (!pending.ok() || *pending == 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  log::Warn("drain timed out; pending events are processed after the next start");
}

void Pipeline::DispatchLoop() {
  pthread_setname_np(pthread_self(), "pipeline-disp");  // visible in top -H, perf, gdb
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::seconds(1), [this] { return (notified_ && !pause_.paused) || stopping_; });
      if (stopping_) return;
      if (pause_.paused) continue;
    }
    // Let a burst accumulate briefly: one store read and one wake per worker for many events.
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    {
      std::lock_guard<std::mutex> lock(mu_);
      notified_ = false;
    }
    // Read committed events strictly in id order; route by ticket so one worker owns a ticket.
    // Bounded: the backlog stays in the store, not in memory, when processing falls behind.
    for (;;) {
      if (paused_.load()) break;
      if (queued() >= options_.max_queued) {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait_for(lock, std::chrono::milliseconds(50), [this] { return stopping_; });
        if (stopping_) return;
        continue;
      }
      auto batch = store_->PendingEvents(last_dispatched_, options_.dispatch_batch);
      if (!batch.ok()) {
        log::Error("dispatcher cannot read the store", {{"error", std::string_view(batch.status().ToString())}});
        break;
      }
      if (batch->empty()) break;
      int64_t handed_over = 0;
      std::vector<std::vector<Work>> per_worker(workers_.size());
      for (auto& e : *batch) {
        last_dispatched_ = e.id;
        size_t h = std::hash<std::string>{}(e.instance + '\x1f' + e.ticket_id);
        Work work{std::move(e), nullptr};
        if (options_.handoff_bytes > 0) {
          work.normalised = handoff_.Take(work.stored.id, work.stored.instance, work.stored.ticket_id);
          handed_over += work.normalised ? 1 : 0;
        }
        per_worker[h % workers_.size()].push_back(std::move(work));
      }
      // One lock and one wake per worker for the whole read: a worker woken per event would
      // start on a batch of one, and every batch costs a commit (an fsync).
      for (size_t i = 0; i < workers_.size(); ++i) {
        if (per_worker[i].empty()) continue;
        Worker* w = workers_[i].get();
        {
          std::lock_guard<std::mutex> lock(w->mu);
          for (Work& work : per_worker[i]) w->queue.push_back(std::move(work));
        }
        w->cv.notify_one();
      }
      Metrics::Global().Inc("deskhook_pipeline_handoff_total", "result=\"hit\"", static_cast<double>(handed_over));
      Metrics::Global().Inc("deskhook_pipeline_handoff_total", "result=\"miss\"",
                            static_cast<double>(static_cast<int64_t>(batch->size()) - handed_over));
      if (static_cast<int>(batch->size()) < options_.dispatch_batch) break;
    }
  }
}

void Pipeline::WorkerLoop(Worker* w) {
  pthread_setname_np(pthread_self(), "pipeline");
  // Acknowledging webhooks comes first: under overload the HTTP threads get the CPU and the
  // queue of stored events absorbs the burst (it is durable). Linux applies nice per thread.
  if (options_.worker_nice != 0) setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), options_.worker_nice);
  std::vector<Work> batch;
  std::vector<ProcessedEvent> done;
  for (;;) {
    batch.clear();
    {
      std::unique_lock<std::mutex> lock(w->mu);
      w->cv.wait(lock, [this, w] { return w->stop || (!w->queue.empty() && !paused_.load()); });
      // Stop requested, and drained or paused: what is left is pending in the store.
      if (w->stop && (w->queue.empty() || paused_.load())) return;
      if (w->queue.empty() || paused_.load()) continue;  // paused since the wait ended
      // Take a batch of events of distinct tickets: one commit (one fsync) for all of them, and
      // a ticket's second event still sees the first one's sentiment history.
      std::vector<std::pair<std::string, std::string>> keys;
      while (!w->queue.empty() && static_cast<int>(batch.size()) < options_.commit_batch) {
        const StoredEvent& e = w->queue.front().stored;
        std::pair<std::string, std::string> key(e.instance, e.ticket_id);
        if (std::find(keys.begin(), keys.end(), key) != keys.end()) break;
        keys.push_back(std::move(key));
        batch.push_back(std::move(w->queue.front()));
        w->queue.pop_front();
      }
    }
    if (w->reload.exchange(false)) {
      scripts::RuntimeConfig config;
      {
        std::lock_guard<std::mutex> lock(w->config_mu);
        config = w->config;
      }
      if (Status s = w->processor->ReplaceScripts(config); !s.ok()) {
        log::Error("script reload refused; running version stays", {{"error", std::string_view(s.message())}});
      }
    }
    done.clear();
    const auto started = std::chrono::steady_clock::now();
    // The batch's tickets are distinct and this worker's previous batch is committed: the
    // sentiment histories not in the worker's cache can be read up front, in one read.
    std::vector<const std::vector<double>*> history(batch.size(), nullptr);
    std::vector<std::pair<std::string, std::string>> missing;
    std::vector<size_t> missing_at;
    for (size_t i = 0; i < batch.size(); ++i) {
      const StoredEvent& e = batch[i].stored;
      if (w->histories->Find(e.instance, e.ticket_id) != nullptr) continue;
      missing.emplace_back(e.instance, e.ticket_id);
      missing_at.push_back(i);
    }
    auto read = store_->SentimentHistories(missing);
    if (read.ok()) {
      for (size_t j = 0; j < missing.size(); ++j) {
        w->histories->Fill(missing[j].first, missing[j].second, (*read)[j]);
        history[missing_at[j]] = &(*read)[j];
      }
    }
    // The hits are taken only now: a Fill may have evicted one (Process then reads the store).
    for (size_t i = 0; i < batch.size(); ++i) {
      if (history[i] == nullptr) history[i] = w->histories->Find(batch[i].stored.instance, batch[i].stored.ticket_id);
    }
    Metrics::Global().Inc("deskhook_pipeline_sentiment_cache_total", "result=\"hit\"",
                          static_cast<double>(batch.size() - missing.size()));
    Metrics::Global().Inc("deskhook_pipeline_sentiment_cache_total", "result=\"miss\"",
                          static_cast<double>(missing.size()));
    for (size_t i = 0; i < batch.size(); ++i) {
      Work& work = batch[i];
      auto it = connectors_.find(work.stored.instance);
      const Connector* connector = it == connectors_.end() ? nullptr : it->second;
      done.push_back(w->processor->Process(work.stored, connector, WallMs(), work.normalised.get(), history[i]));
    }
    Status s = store_->CommitProcessedBatch(done);
    for (size_t i = 0; i < batch.size(); ++i) {
      const StoredEvent& e = batch[i].stored;
      Status committed = s;
      // One bad event must not hold back the others: commit them one by one.
      if (!s.ok()) committed = store_->CommitProcessed(done[i]);
      if (committed.ok()) {
        w->histories->Committed(e.instance, e.ticket_id, e.id, done[i].sentiment);
      } else {
        w->histories->Forget(e.instance, e.ticket_id);
        // Left pending in the store: processed again after a restart.
        log::Error("cannot commit processed event",
                   {{"event_id", done[i].event_id}, {"error", std::string_view(committed.ToString())}});
      }
    }
    w->processor->AfterCommit();
    const double per_event = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() / batch.size();
    bool any_calls = false;
    const int64_t now_ms = WallMs();
    const std::string* labels_for = nullptr;  // the instance `labels` was made for
    std::string labels;
    for (size_t i = 0; i < batch.size(); ++i) {
      const std::string& instance = batch[i].stored.instance;
      if (labels_for == nullptr || *labels_for != instance) {
        labels = Metrics::Labels({{"instance", instance}});
        labels_for = &instance;
      }
      Metrics::Global().Observe("deskhook_processing_seconds", labels, per_event);
      Metrics::Global().Observe("deskhook_receipt_to_decision_seconds", "", (now_ms - batch[i].stored.received_ms) / 1000.0);
      any_calls = any_calls || !done[i].calls.empty();
    }
    Metrics::Global().Inc("deskhook_pipeline_batches_total");  // events per commit: processed / batches
    processed_.fetch_add(static_cast<int64_t>(batch.size()));
    if (any_calls && hooks_.on_calls_committed) hooks_.on_calls_committed();
  }
}

void Pipeline::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !dispatcher_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (dispatcher_.joinable()) dispatcher_.join();
  for (auto& w : workers_) {
    {
      std::lock_guard<std::mutex> lock(w->mu);
      w->stop = true;
    }
    w->cv.notify_all();
  }
  for (auto& w : workers_) {
    if (w->thread.joinable()) w->thread.join();
  }
}

}  // namespace deskhook
