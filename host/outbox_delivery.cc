// OutboxDelivery: the dispatcher polls the store for due items and hands them to one lane per
// instance; each lane's workers deliver per ticket in id order (outbox_attempt.cc).
#include <pthread.h>

#include <algorithm>
#include <chrono>

#include "host/log.h"
#include "host/outbox_internal.h"

namespace deskhook {
namespace outbox_internal {

bool MayHaveBeenApplied(const OutboxItem& item) {
  return item.last_error.find(kInFlight) != std::string::npos ||
         item.last_error.find(kAmbiguous) != std::string::npos;
}

}  // namespace outbox_internal

using outbox_internal::Lane;
using outbox_internal::Outcome;
using outbox_internal::TicketBlock;
using outbox_internal::WallMs;

namespace {
constexpr int kStartupScanLimit = 200000;
constexpr int64_t kStaleBlockGraceMs = 2000;
}  // namespace

OutboxDelivery::Impl::Impl(Store* store, std::map<std::string, const Connector*> connectors,
                           OutboxOptions options)
    : store_(store), connectors_(std::move(connectors)), options_(std::move(options)) {}

Status OutboxDelivery::Impl::Start() {
  if (started_.exchange(true)) return Status::InvalidArgument("outbox delivery already started");
  for (const auto& [name, connector] : connectors_) {
    auto lane = std::make_unique<Lane>(name, connector, options_.For(name));
    if (connector == nullptr) return Status::InvalidArgument("connector for " + name + " is null");
    HttpSenderOptions so;
    so.base_url = connector->config().base_url;
    so.ca_path = connector->config().ca_path;
    so.verify_tls = lane->opts.verify_tls;
    so.connect_timeout_ms = std::min(options_.connect_timeout_ms, connector->config().timeout_ms);
    so.read_timeout_ms = connector->config().timeout_ms;
    so.write_timeout_ms = connector->config().timeout_ms;
    so.max_idle_connections = std::max(1, lane->opts.concurrency);
    auto sender = HttpSender::Create(so);
    if (!sender.ok()) {
      return Status::InvalidArgument("connectors." + name + "." + sender.status().message());
    }
    lane->sender = std::move(sender.value());
    if (lane->opts.effect_checker == nullptr) {
      lane->own_checker = std::make_unique<outbox_internal::ConnectorEffectChecker>(connector);
      lane->checker = lane->own_checker.get();
    } else {
      lane->checker = lane->opts.effect_checker;
    }
    lanes_[name] = std::move(lane);
  }
  BlockTicketsFromStore();
  result_writer_ = std::thread([this] { ResultWriterLoop(); });
  for (auto& [name, lane] : lanes_) {
    for (int i = 0; i < std::max(1, lane->opts.concurrency); ++i) {
      Lane* l = lane.get();
      lane->workers.emplace_back([this, l] { WorkerLoop(l); });
    }
  }
  dispatcher_ = std::thread([this] { DispatchLoop(); });
  return Status::Ok();
}

void OutboxDelivery::Impl::Stop() {
  if (!started_ || stopping_.exchange(true)) return;
  Wake();
  if (dispatcher_.joinable()) dispatcher_.join();
  for (auto& [name, lane] : lanes_) {
    { std::lock_guard<std::mutex> lock(lane->mu); }
    lane->cv.notify_all();
    for (auto& t : lane->workers) t.join();
    lane->workers.clear();
  }
  {
    std::lock_guard<std::mutex> lock(results_mu_);
    results_stop_ = true;
  }
  results_cv_.notify_all();
  if (result_writer_.joinable()) result_writer_.join();
}

void OutboxDelivery::Impl::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    wake_ = true;
  }
  cv_.notify_all();
}

// After a restart, an item waiting for its retry time must still hold back the later items
// of its ticket: find each ticket's first pending item and block the ticket when it is not due.
void OutboxDelivery::Impl::BlockTicketsFromStore() {
  auto pending = store_->ListOutbox(OutboxState::kPending, kStartupScanLimit);
  if (!pending.ok()) return;  // the dispatcher still works; order after restart is best effort
  const int64_t now = WallMs();
  std::map<std::pair<std::string, std::string>, const OutboxItem*> first;
  for (const OutboxItem& item : pending.value()) {
    auto key = std::make_pair(item.instance, item.ticket_id);
    auto it = first.find(key);
    if (it == first.end() || item.id < it->second->id) first[key] = &item;
  }
  for (const auto& [key, item] : first) {
    auto lane = lanes_.find(key.first);
    if (lane == lanes_.end() || item->next_attempt_ms <= now) continue;
    lane->second->blocked[key.second] = {item->id, item->next_attempt_ms};
  }
}

void OutboxDelivery::Impl::DispatchLoop() {
  pthread_setname_np(pthread_self(), "outbox-disp");  // visible in top -H, perf, gdb
  int64_t last_poll_ms = 0;
  while (!stopping_) {
    // Frequent Wake()s (one per committed batch) coalesce into at most one poll per gap.
    const int64_t since = WallMs() - last_poll_ms;
    if (since >= 0 && since < options_.min_poll_gap_ms) {
      std::this_thread::sleep_for(std::chrono::milliseconds(options_.min_poll_gap_ms - since));
    }
    last_poll_ms = WallMs();
    int loaded = PollOnce();
    std::unique_lock<std::mutex> lock(mu_);
    if (loaded >= options_.poll_batch) continue;  // more may be due right now
    cv_.wait_for(lock, std::chrono::milliseconds(options_.poll_interval_ms),
                 [this] { return wake_ || stopping_.load(); });
    wake_ = false;
  }
}

int OutboxDelivery::Impl::PollOnce() {
  const int64_t now = WallMs();
  // Rows read from here on may predate a worker's write for an item it releases from now on.
  const int64_t gen = ++poll_gen_;
  size_t held = 0;
  for (auto& [name, lane] : lanes_) {
    std::lock_guard<std::mutex> lock(lane->mu);
    held += lane->known.size();
    for (auto it = lane->released.begin(); it != lane->released.end();) {
      it = it->second < gen ? lane->released.erase(it) : std::next(it);
    }
  }
  // Items already held in memory come back from the query; ask for enough beyond them that
  // a lane holding many (rate limited, circuit open) cannot crowd out the others.
  auto due = store_->DueOutbox(now, options_.poll_batch + static_cast<int>(held));
  if (!due.ok()) return 0;
  int fresh = 0;
  std::vector<OutboxItem> overflow;
  std::set<Lane*> touched;
  for (OutboxItem& item : due.value()) {
    auto it = lanes_.find(item.instance);
    if (it == lanes_.end()) {
      item.state = OutboxState::kDead;
      item.last_status = 0;
      item.last_error = "no connector instance '" + item.instance + "' is configured";
      item.updated_ms = 0;
      if (store_->UpdateOutbox(item).ok()) counters_.dead++;
      continue;
    }
    Lane& lane = *it->second;
    std::lock_guard<std::mutex> lock(lane.mu);
    if (lane.known.count(item.id)) continue;
    if (auto r = lane.released.find(item.id); r != lane.released.end() && r->second >= gen) {
      continue;  // stale row: the item was finished or deferred while we were reading
    }
    ++fresh;
    auto block = lane.blocked.find(item.ticket_id);
    if (block != lane.blocked.end() && block->second.id == item.id) lane.blocked.erase(block);
    if (static_cast<int>(lane.known.size()) >= lane.opts.max_in_memory) {
      // Wait in the store; later items of the ticket wait behind this one.
      int64_t until = std::max({now + 1000, lane.breaker.RetryAtMs(now),
                                lane.limiter.paused_until_ms()});
      if (lane.opts.rate_per_s > 0) {
        until += static_cast<int64_t>(lane.known.size() * 1000.0 / lane.opts.rate_per_s);
      }
      item.next_attempt_ms = until;
      auto& b = lane.blocked[item.ticket_id];
      if (b.id == 0 || item.id < b.id) b = {item.id, until};
      overflow.push_back(item);
      continue;
    }
    auto& queue = lane.by_ticket[item.ticket_id];
    auto pos = std::lower_bound(queue.begin(), queue.end(), item.id,
                                [](const OutboxItem& a, int64_t id) { return a.id < id; });
    queue.insert(pos, item);
    lane.known.insert(item.id);
    lane.Reindex(item.ticket_id);
    touched.insert(&lane);
  }
  for (Lane* lane : touched) lane->cv.notify_all();
  for (OutboxItem& item : overflow) {
    item.updated_ms = 0;
    (void)store_->UpdateOutbox(item);  // on failure it stays due and comes back next poll
  }
  for (auto& [name, lane] : lanes_) ClearStaleBlocks(*lane, now);
  return fresh;
}

// A block whose item never came back (dropped or retried from the CLI meanwhile) is lifted.
void OutboxDelivery::Impl::ClearStaleBlocks(Lane& lane, int64_t now) {
  std::vector<std::pair<std::string, TicketBlock>> stale;
  {
    std::lock_guard<std::mutex> lock(lane.mu);
    for (const auto& [ticket, block] : lane.blocked) {
      if (block.until_ms + kStaleBlockGraceMs < now) stale.emplace_back(ticket, block);
    }
  }
  bool lifted = false;
  for (const auto& [ticket, block] : stale) {
    auto item = store_->GetOutbox(block.id);
    bool lift = !item.ok() || item->state != OutboxState::kPending;
    std::lock_guard<std::mutex> lock(lane.mu);
    auto it = lane.blocked.find(ticket);
    if (it == lane.blocked.end() || it->second.id != block.id) continue;
    if (lift) {
      lane.blocked.erase(it);
      lifted = true;
    } else if (item->next_attempt_ms > block.until_ms) {
      it->second.until_ms = item->next_attempt_ms;
    }
  }
  if (lifted) lane.cv.notify_all();
}

void OutboxDelivery::Impl::WorkerLoop(Lane* lane) {
  pthread_setname_np(pthread_self(), "outbox-send");
  using std::chrono::milliseconds;
  while (!stopping_) {
    OutboxItem item;
    {
      std::unique_lock<std::mutex> lock(lane->mu);
      const OutboxItem* best = nullptr;
      for (const auto& [front_id, ticket] : lane->ready) {
        auto block = lane->blocked.find(ticket);
        if (block != lane->blocked.end() && front_id > block->second.id) continue;
        best = &lane->by_ticket[ticket].front();
        break;
      }
      if (best == nullptr) {
        lane->cv.wait_for(lock, milliseconds(200));
        continue;
      }
      item = *best;
      lane->busy.insert(item.ticket_id);
      lane->in_flight.insert(item.id);
      lane->Reindex(item.ticket_id);
    }
    auto release = [&] {
      std::lock_guard<std::mutex> lock(lane->mu);
      lane->busy.erase(item.ticket_id);
      lane->in_flight.erase(item.id);
      lane->Reindex(item.ticket_id);
    };
    auto pause = [&](int64_t ms) {
      std::unique_lock<std::mutex> lock(lane->mu);
      lane->cv.wait_for(lock, milliseconds(std::clamp<int64_t>(ms, 1, 1000)),
                        [this] { return stopping_.load(); });
    };
    int64_t now = WallMs();
    if (!lane->opts.dry_run) {
      if (!lane->breaker.Allow(now)) {
        release();
        pause(lane->breaker.RetryAtMs(now) - now);
        continue;
      }
      if (int64_t wait = lane->limiter.TryAcquire(now); wait > 0) {
        lane->breaker.OnNeutral();
        release();
        pause(wait);
        continue;
      }
    }
    Outcome outcome = Attempt(*lane, item);
    bool more = false;
    {
      std::lock_guard<std::mutex> lock(lane->mu);
      auto& queue = lane->by_ticket[item.ticket_id];
      auto pos = std::find_if(queue.begin(), queue.end(),
                              [&](const OutboxItem& q) { return q.id == item.id; });
      if (pos != queue.end()) queue.erase(pos);
      more = !queue.empty();
      if (queue.empty()) lane->by_ticket.erase(item.ticket_id);
      lane->known.erase(item.id);
      // SaveResult marked it kUnsaved (or the writer already saved it); an attempt that saved
      // nothing (store busy before sending) leaves the row as it was.
      lane->released.emplace(item.id, poll_gen_.load());
      lane->busy.erase(item.ticket_id);
      lane->in_flight.erase(item.id);
      if (outcome.kind == Outcome::kDeferred) {
        auto& b = lane->blocked[item.ticket_id];
        if (b.id == 0 || item.id <= b.id) b = {item.id, outcome.until_ms};
      }
      lane->Reindex(item.ticket_id);
    }
    // This worker takes the next ready item itself; wake one more only for the ticket's next.
    if (more) lane->cv.notify_one();
  }
}

void OutboxDelivery::Impl::SaveResult(const OutboxItem& item, LogEntry log) {
  if (auto lane = lanes_.find(item.instance); lane != lanes_.end()) {
    std::lock_guard<std::mutex> lock(lane->second->mu);
    lane->second->released[item.id] = outbox_internal::kUnsaved;  // until the writer saved it
  }
  {
    std::lock_guard<std::mutex> lock(results_mu_);
    results_.emplace_back(item, std::move(log));
  }
  results_cv_.notify_one();
}

// Saves finished attempts in batches: one store write (one commit) for every result that
// piled up while the previous write ran, instead of one per call. Until an item's row is
// saved its `released` mark keeps polls from loading the old row; a crash before the save
// leaves the old row, which is resent (idempotent) or checked first (in flight).
void OutboxDelivery::Impl::ResultWriterLoop() {
  pthread_setname_np(pthread_self(), "outbox-results");
  std::unique_lock<std::mutex> lock(results_mu_);
  while (true) {
    results_cv_.wait(lock, [this] { return results_stop_ || !results_.empty(); });
    if (results_.empty()) return;  // stopping and drained
    std::vector<std::pair<OutboxItem, LogEntry>> batch;
    batch.swap(results_);
    lock.unlock();
    std::vector<OutboxItem> rows;
    std::vector<LogEntry> logs;
    rows.reserve(batch.size());
    logs.reserve(batch.size());
    for (const auto& [row, log] : batch) {
      rows.push_back(row);
      logs.push_back(log);
    }
    Status s = store_->SaveOutboxResults(rows, logs);
    if (s.ok()) {
      const int64_t gen = poll_gen_.load();
      for (const OutboxItem& row : rows) {
        auto lane = lanes_.find(row.instance);
        if (lane == lanes_.end()) continue;
        std::lock_guard<std::mutex> lane_lock(lane->second->mu);
        auto r = lane->second->released.find(row.id);
        if (r != lane->second->released.end() && r->second == outbox_internal::kUnsaved) r->second = gen;
      }
      lock.lock();
      continue;
    }
    log::Error("cannot save outbox results; retrying", {{"items", static_cast<int64_t>(rows.size())},
                                                        {"error", std::string_view(s.ToString())}});
    lock.lock();
    if (results_stop_) return;  // closing: the rows stay as they were (resent or checked after restart)
    // Back in front of newer results (a row's later result must win); wait a bit.
    batch.insert(batch.end(), std::make_move_iterator(results_.begin()), std::make_move_iterator(results_.end()));
    results_.swap(batch);
    results_cv_.wait_for(lock, std::chrono::milliseconds(200), [this] { return results_stop_; });
  }
}

Status OutboxDelivery::Impl::Retry(int64_t id) {
  Status s = RetryOutboxItem(store_, id);
  if (!s.ok()) return s;
  Wake();
  return s;
}

Status OutboxDelivery::Impl::Drop(int64_t id) {
  auto item = store_->GetOutbox(id);
  if (!item.ok()) return item.status();
  auto lit = lanes_.find(item->instance);
  if (lit == lanes_.end()) return DropOutboxItem(store_, id);
  Lane& lane = *lit->second;
  // Held across the store write so that no worker picks the item up in between.
  std::lock_guard<std::mutex> lock(lane.mu);
  if (lane.in_flight.count(id)) {
    return Status::Unavailable("outbox item " + std::to_string(id) +
                               " is being sent right now; try again");
  }
  Status s = DropOutboxItem(store_, id);
  if (!s.ok()) return s;
  if (lane.known.erase(id)) {
    auto queue = lane.by_ticket.find(item->ticket_id);
    if (queue != lane.by_ticket.end()) {
      auto pos = std::find_if(queue->second.begin(), queue->second.end(),
                              [&](const OutboxItem& q) { return q.id == id; });
      if (pos != queue->second.end()) queue->second.erase(pos);
      if (queue->second.empty()) lane.by_ticket.erase(queue);
    }
    lane.Reindex(item->ticket_id);
  }
  lane.released[id] = poll_gen_.load();
  auto block = lane.blocked.find(item->ticket_id);
  if (block != lane.blocked.end() && block->second.id == id) lane.blocked.erase(block);
  lane.cv.notify_all();
  return s;
}

OutboxStats OutboxDelivery::Impl::Stats() const {
  OutboxStats s;
  s.attempts = counters_.attempts;
  s.delivered = counters_.delivered;
  s.retried = counters_.retried;
  s.rate_limited = counters_.rate_limited;
  s.dead = counters_.dead;
  s.dry_run = counters_.dry_run;
  s.effect_present = counters_.effect_present;
  return s;
}

std::vector<LaneStatus> OutboxDelivery::Impl::Lanes() const {
  std::vector<LaneStatus> out;
  const int64_t now = WallMs();
  for (const auto& [name, lane] : lanes_) {
    LaneStatus s;
    s.instance = name;
    s.circuit = std::string(CircuitStateName(lane->breaker.state(now)));
    int64_t paused = lane->limiter.paused_until_ms();
    s.paused_until_ms = paused > now ? paused : 0;
    {
      std::lock_guard<std::mutex> lock(lane->mu);
      s.in_memory = static_cast<int>(lane->known.size());
    }
    s.dry_run = lane->opts.dry_run;
    out.push_back(std::move(s));
  }
  return out;
}

OutboxDelivery::OutboxDelivery(Store* store, std::map<std::string, const Connector*> connectors,
                               OutboxOptions options)
    : impl_(std::make_unique<Impl>(store, std::move(connectors), std::move(options))) {}
OutboxDelivery::~OutboxDelivery() { Stop(); }
Status OutboxDelivery::Start() { return impl_->Start(); }
void OutboxDelivery::Stop() { impl_->Stop(); }
void OutboxDelivery::Wake() { impl_->Wake(); }
Status OutboxDelivery::Retry(int64_t id) { return impl_->Retry(id); }
Status OutboxDelivery::Drop(int64_t id) { return impl_->Drop(id); }
OutboxStats OutboxDelivery::Stats() const { return impl_->Stats(); }
std::vector<LaneStatus> OutboxDelivery::Lanes() const { return impl_->Lanes(); }

}  // namespace deskhook
