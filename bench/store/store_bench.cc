// Store ingest benchmark: N threads call AppendEvent as fast as they can for a fixed time,
// once with group commit (max_batch 256) and once with one operation per transaction.
// Prints durably committed events/s, p50/p99 AppendEvent latency, the average batch size and
// the process's CPU time per event. Mode `inline` runs the same two INSERTs `--batch` events
// per transaction from one thread (Store::Write): the SQL and WAL cost without one blocked
// caller per event, i.e. what a front end that hands over whole batches would pay. Mode `async`
// has one thread keep --threads appends outstanding with AppendEventAsync (an event-loop front):
// each completion, on the writer thread, frees a slot; the thread sleeps only when all are taken.
//
//   store_bench [--threads 32] [--seconds 5] [--body 1000] [--dir /tmp] [--sync full|normal]
//               [--mode both|group|single|inline|async] [--batch 32]
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <sqlite3.h>

#include "host/store.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  int threads = 32;  // callers; in async mode the appends kept outstanding
  double seconds = 5;
  size_t body = 1000;
  std::string dir = "/tmp";
  bool sync_full = true;
  std::string mode = "both";
  int batch = 32;  // inline mode: events per transaction
};

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--threads") a.threads = std::atoi(v.c_str());
    else if (k == "--seconds") a.seconds = std::atof(v.c_str());
    else if (k == "--body") a.body = static_cast<size_t>(std::atol(v.c_str()));
    else if (k == "--dir") a.dir = v;
    else if (k == "--sync") a.sync_full = v != "normal";
    else if (k == "--mode") a.mode = v;
    else if (k == "--batch") a.batch = std::max(1, std::atoi(v.c_str()));
    else { std::fprintf(stderr, "unknown option %s\n", k.c_str()); std::exit(2); }
  }
  return a;
}

double CpuSeconds() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + 1e-6 * double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

int64_t WallMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

void RunOnce(const Args& a, const char* label, int max_batch) {
  std::string dir = a.dir + "/deskhook-store-bench-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  deskhook::StoreOptions o;
  o.path = dir + "/bench.db";
  o.max_batch = max_batch;
  o.synchronous_full = a.sync_full;
  auto opened = deskhook::Store::Open(o);
  if (!opened.ok()) {
    std::fprintf(stderr, "open: %s\n", opened.status().ToString().c_str());
    std::exit(1);
  }
  auto store = std::move(opened).value();
  // A realistic body: JSON-ish text of the requested size.
  std::string body = "{\"ticket\":{\"id\":35436,\"description\":\"";
  while (body.size() + 4 < a.body) body += "lorem ipsum dolor sit amet ";
  body.resize(a.body > 4 ? a.body - 4 : 0);
  body += "\"}}";

  std::atomic<bool> stop{false};
  std::atomic<int64_t> errors{0};
  const bool inline_mode = std::string(label) == "inline";
  const bool async_mode = std::string(label) == "async";
  const int nthreads = inline_mode || async_mode ? 1 : a.threads;
  std::vector<std::vector<uint32_t>> lat(nthreads);
  int64_t submitter_waits = 0;  // async mode: how often the submitting thread slept
  std::vector<std::thread> threads;
  const double cpu0 = CpuSeconds();
  const auto start = Clock::now();
  if (inline_mode) {
    // One caller, `batch` events per transaction: the same rows AppendEvent writes.
    threads.emplace_back([&] {
      for (int64_t i = 0; !stop.load(std::memory_order_relaxed);) {
        auto t0 = Clock::now();
        deskhook::Status st = store->Write([&](sqlite3* db) -> deskhook::Status {
          sqlite3_stmt* ev = nullptr;
          sqlite3_stmt* bd = nullptr;
          sqlite3_prepare_v3(db,
                             "INSERT INTO events(instance, ticket_id, kind, dedupe_key, by_hash, "
                             "received_ms, meta_json) VALUES('zd', ?1, 'ticket_created', ?2, 0, ?3, "
                             "'{\"topic\":\"bench\"}')",
                             -1, SQLITE_PREPARE_PERSISTENT, &ev, nullptr);
          sqlite3_prepare_v3(db, "INSERT INTO event_bodies(event_id, body) VALUES(?1, ?2)", -1,
                             SQLITE_PREPARE_PERSISTENT, &bd, nullptr);
          int rc = SQLITE_DONE;
          for (int k = 0; k < a.batch && rc == SQLITE_DONE; ++k, ++i) {
            std::string ticket = std::to_string(i % 1000), key = "i-" + std::to_string(i);
            sqlite3_bind_text(ev, 1, ticket.c_str(), -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(ev, 2, key.c_str(), -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(ev, 3, WallMs());
            rc = sqlite3_step(ev);
            sqlite3_reset(ev);
            if (rc != SQLITE_DONE) break;
            sqlite3_bind_int64(bd, 1, sqlite3_last_insert_rowid(db));
            sqlite3_bind_blob(bd, 2, body.data(), static_cast<int>(body.size()), SQLITE_STATIC);
            rc = sqlite3_step(bd);
            sqlite3_reset(bd);
          }
          sqlite3_finalize(ev);
          sqlite3_finalize(bd);
          return rc == SQLITE_DONE ? deskhook::Status::Ok() : deskhook::Status::Internal(sqlite3_errmsg(db));
        });
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0);
        if (!st.ok()) errors++;
        lat[0].push_back(static_cast<uint32_t>(us.count()));
      }
    });
  }
  if (async_mode) {
    threads.emplace_back([&] {
      std::mutex mu;
      std::condition_variable cv;
      int outstanding = 0;   // guarded by mu
      bool waiting = false;  // guarded by mu: the submitter sleeps, a completion must wake it
      lat[0].reserve(200000);
      std::unique_lock<std::mutex> lock(mu);
      for (int64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        if (outstanding == a.threads) {
          waiting = true;
          submitter_waits++;
          cv.wait(lock, [&] { return outstanding < a.threads; });
          waiting = false;
        }
        outstanding++;
        lock.unlock();
        deskhook::NewEvent e;  // moved into the store: built afresh each time
        e.instance = "zd";
        e.kind = "ticket_created";
        e.meta_json = "{\"topic\":\"bench\"}";
        e.ticket_id = std::to_string(i % 1000);
        e.dedupe_key = "a-" + std::to_string(i);
        e.received_ms = WallMs();
        e.body = body;  // the store owns what it appends: one copy per event, as Ingest makes
        const auto t0 = Clock::now();
        store->AppendEventAsync(std::move(e), [&, t0](deskhook::Result<deskhook::AppendResult> r) {
          auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0);
          std::lock_guard<std::mutex> g(mu);
          if (!r.ok()) errors++;
          lat[0].push_back(static_cast<uint32_t>(us.count()));
          outstanding--;
          if (waiting) cv.notify_one();
        });
        lock.lock();
      }
      waiting = true;  // the completions use mu and cv: wait for the last one
      cv.wait(lock, [&] { return outstanding == 0; });
    });
  }
  for (int t = 0; t < (inline_mode || async_mode ? 0 : a.threads); ++t) {
    threads.emplace_back([&, t] {
      lat[t].reserve(200000);
      deskhook::NewEvent e;
      e.instance = "zd";
      e.kind = "ticket_created";
      e.body = body;
      e.meta_json = "{\"topic\":\"bench\"}";
      for (int64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        e.ticket_id = std::to_string(i % 1000);
        e.dedupe_key = "t" + std::to_string(t) + "-" + std::to_string(i);
        e.received_ms = WallMs();
        auto t0 = Clock::now();
        auto r = store->AppendEvent(e);
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0);
        if (!r.ok()) errors++;
        lat[t].push_back(static_cast<uint32_t>(us.count()));
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(a.seconds));
  stop = true;
  for (auto& th : threads) th.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const double cpu = CpuSeconds() - cpu0;
  deskhook::StoreStats stats = store->Stats();
  auto count = store->CountEvents();
  store.reset();
  std::filesystem::remove_all(dir);

  std::vector<uint32_t> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return all.empty() ? 0.0 : all[std::min(all.size() - 1, size_t(p * all.size()))] / 1000.0;
  };
  const int64_t stored = count.ok() ? *count : -1;
  std::printf(
      "%-7s threads=%d max_batch=%d sync=%s body=%zuB: %.0f events/s (%lld stored in %.2fs), "
      "append p50=%.2fms p99=%.2fms max=%.2fms, commits=%lld avg_batch=%.1f max_batch_seen=%lld "
      "errors=%lld%s, cpu %.1f us/event\n",
      label, nthreads, max_batch, a.sync_full ? "FULL" : "NORMAL", a.body, stored / elapsed,
      static_cast<long long>(stored), elapsed, pct(0.50), pct(0.99), pct(1.0),
      static_cast<long long>(stats.commits),
      stats.commits ? double(stats.ops) / double(stats.commits) : 0.0,
      static_cast<long long>(stats.max_batch_seen), static_cast<long long>(errors.load()),
      inline_mode  ? (" (an op here is one Write of " + std::to_string(a.batch) + " events)").c_str()
      : async_mode ? (" (" + std::to_string(a.threads) + " appends outstanding, submitter slept " +
                      std::to_string(submitter_waits) + " times)").c_str()
                   : "",
      stored > 0 ? 1e6 * cpu / double(stored) : 0.0);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  Args a = Parse(argc, argv);
  if (a.mode == "both" || a.mode == "group") RunOnce(a, "group", 256);
  if (a.mode == "both" || a.mode == "single") RunOnce(a, "single", 1);
  if (a.mode == "inline") RunOnce(a, "inline", 256);
  if (a.mode == "async") RunOnce(a, "async", 256);
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("peak RSS %.1f MB (whole bench process, incl. %d client threads' latency arrays)\n",
              ru.ru_maxrss / 1024.0, a.threads);
  return 0;
}
