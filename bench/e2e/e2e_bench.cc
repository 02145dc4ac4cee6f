// End-to-end benchmark: signed Zendesk webhooks in -> sentiment -> the example scripts -> API
// calls out to an in-process stand-in helpdesk. Reports events/s at saturation (webhook sent to
// call received, all events) and p50/p99 from webhook receipt to the call reaching the helpdesk
// at a fixed open-loop rate (default 1,000 events/s).
//
// usage: bench_e2e [--rate 1000] [--seconds 10] [--saturation-events 30000] [--sync full|normal]
//                  [--workers 2] [--binary PATH] [--checkpoint-pages N] [--io-threads 1]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

#include <httplib.h>

#include "host/webhook_signer.h"
#include "bench_util.h"
#include "e2e_ticket.h"
#include "load_client.h"
#include "standin.h"

using namespace deskhook;
using namespace deskhook::bench;

namespace {

struct Phase {
  std::map<int64_t, int64_t> sent_ms;  // ticket id -> wall ms when its webhook was sent
  std::mutex mu;
};

// Waits until the stand-in saw a call for every ticket in [first, last) or `timeout` passes;
// returns the receive time of the first call per ticket. Polls only the calls it has not seen
// (copying every call each time would make this bench's own CPU use grow with the run).
std::map<int64_t, int64_t> WaitCalls(standin::Standin& helpdesk, int64_t first, int64_t last, int timeout_s) {
  std::map<int64_t, int64_t> got;
  size_t seen = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    std::vector<standin::Call> fresh = helpdesk.CallsSince(seen);
    seen += fresh.size();
    for (const auto& c : fresh) {
      if (c.path.rfind("/api/v2/tickets/", 0) != 0) continue;
      int64_t id = std::atoll(c.path.c_str() + 16);
      if (id >= first && id < last) got.emplace(id, c.t_ms);
    }
    if (static_cast<int64_t>(got.size()) >= last - first) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return got;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const double rate = std::stod(Arg(argc, argv, "rate", "1000"));
  const double seconds = std::stod(Arg(argc, argv, "seconds", "10"));
  const int64_t saturation_events = std::stoll(Arg(argc, argv, "saturation-events", "30000"));
  const std::string sync = Arg(argc, argv, "sync", "full");
  const std::string checkpoint_pages = Arg(argc, argv, "checkpoint-pages", "4000");
  const std::string workers = Arg(argc, argv, "workers", "2");
  const std::string io_threads = Arg(argc, argv, "io-threads", "1");
  const std::string binary = Arg(argc, argv, "binary", DESKHOOK_BINARY);
  const std::string scripts = std::string(DESKHOOK_SOURCE_DIR) + "/examples/scripts";

  standin::Standin helpdesk;
  int helpdesk_port = helpdesk.Start(0, "", 32);
  char tmpl[] = "/tmp/deskhook-e2e-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  int port = FreePort();
  std::ofstream(dir + "/e2e.json") << R"({"http":{"address":"127.0.0.1","port":)" << port
      << R"(,"io_threads":)" << io_threads
      // "threads" only for another --binary, which may predate the event-loop front (thread per
      // connection); this build warns about the key, so it does not get it.
      << (binary == DESKHOOK_BINARY ? "" : R"(,"threads":96)") << R"(},"store":{"path":")" << dir << R"(/e2e.db","sync":")" << sync
      << R"(","checkpoint_pages":)" << checkpoint_pages << R"(},"workers":)" << workers << R"(,"log":{"level":"error"},"scripts":{"files":[")" << scripts << R"(/wants_human.lua",")"
      << scripts << R"(/vip_requesters.lua",")" << scripts << R"(/escalate_frustration.lua",")" << scripts
      << R"(/churn_risk.lua",")" << scripts << R"(/route_by_topic.lua"],"module_dir":")" << scripts
      << R"(","escalate":{"tags":["escalation"],"group":"360099","priority":"high"}},)"
      << R"("outbox":{"rate_per_s":100000,"burst":100000,"concurrency":32,"max_in_memory":4096,"poll_batch":4096,"poll_interval_ms":50},)"
      << R"("connectors":[{"name":"zd","kind":"zendesk","signing_secret":"e2e-secret","base_url":"http://127.0.0.1:)"
      << helpdesk_port << R"(","api_email":"bot@example.com","api_token":"e2e-token"}]})";
  pid_t pid = StartServer(binary, dir + "/e2e.json", port);
  if (pid < 0) {
    std::fprintf(stderr, "deskhook did not start\n");
    return 1;
  }
  InstanceConfig zd;
  zd.name = "zd", zd.kind = "zendesk", zd.signing_secret = "e2e-secret";
  const int64_t ts = WallMs() / 1000;
  Phase phase;
  auto request = [&](int64_t ticket) -> std::pair<std::string, std::string> {
    std::string body = E2eTicketBody(ticket);
    {
      std::lock_guard<std::mutex> lock(phase.mu);
      phase.sent_ms[ticket] = WallMs();
    }
    return {RawPost("/hooks/zd", SignDelivery(zd, body, ts, "e2e-" + std::to_string(ticket)), body), ""};
  };
  std::printf("deskhook end-to-end bench: stand-in helpdesk on :%d, example scripts, store.sync=%s\n", helpdesk_port,
              sync.c_str());

  // 1. Saturation: as fast as 32 connections go; throughput = events whose call arrived / time.
  const int64_t sat_first = 1'000'000;
  auto t0 = WallMs();
  double server0 = CpuMs(pid), self0 = CpuMs();
  LoadResult sat = RunLoad(port, 32, 600, saturation_events, 0, [&](int64_t i) { return request(sat_first + i); });
  auto got = WaitCalls(helpdesk, sat_first, sat_first + sat.ok, 120);
  int64_t last_ms = 0;
  for (const auto& [id, t] : got) last_ms = std::max(last_ms, t);
  double sat_s = (last_ms - t0) / 1000.0;
  double server_ms = CpuMs(pid) - server0, self_ms = CpuMs() - self0;
  std::printf("saturation: %lld webhooks acknowledged in %.2f s (%.0f/s in); %zu calls reached the helpdesk; "
              "end to end %.0f events/s\n",
              static_cast<long long>(sat.ok), sat.seconds, sat.ok / sat.seconds, got.size(), got.size() / sat_s);
  // CPU per event: the server's, and this process's (load generator + stand-in helpdesk).
  std::printf("cpu per event: server %.1f us, load generator + stand-in %.1f us\n",
              1000.0 * server_ms / static_cast<double>(got.size()), 1000.0 * self_ms / static_cast<double>(got.size()));

  {
    // How many events the workers took as normalised at ingest (the rest parsed the stored body),
    // events per pipeline commit, and the store's group commit.
    httplib::Client metrics("127.0.0.1", port);
    if (auto res = metrics.Get("/metrics"); res && res->status == 200) {
      std::string line;
      for (std::istringstream in(res->body); std::getline(in, line);) {
        if (line.rfind("deskhook_pipeline_handoff_total{", 0) == 0 || line.rfind("deskhook_pipeline_batches_total ", 0) == 0 ||
            line.rfind("deskhook_receipt_to_decision_seconds_count ", 0) == 0 ||
            line.rfind("deskhook_store_commits_total ", 0) == 0 || line.rfind("deskhook_store_ops_total ", 0) == 0 ||
            line.rfind("deskhook_store_replayed_batches_total ", 0) == 0) {
          std::printf("  %s\n", line.c_str());
        }
      }
    }
  }
  {
    // Where every outbox item stands (nothing may be missing: done, or dead with a reason).
    sqlite3* db = nullptr;
    sqlite3_open_v2((dir + "/e2e.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "SELECT state, COUNT(*), MAX(attempts), MAX(last_error) FROM outbox GROUP BY state", -1, &st, nullptr);
    std::printf("outbox after saturation:");
    while (sqlite3_step(st) == SQLITE_ROW) {
      const unsigned char* err = sqlite3_column_text(st, 3);
      std::printf(" state%d=%lld (max attempts %d%s%s)", sqlite3_column_int(st, 0),
                  static_cast<long long>(sqlite3_column_int64(st, 1)), sqlite3_column_int(st, 2),
                  err && *err ? ", e.g. " : "", err ? reinterpret_cast<const char*>(err) : "");
    }
    std::printf("\n");
    sqlite3_finalize(st);
    // What each event leaves in the store (the decision log dominates the write volume).
    sqlite3_prepare_v2(db, "SELECT (SELECT COUNT(*) FROM events), (SELECT SUM(length(b.body) + length(e.meta_json)) FROM events e JOIN event_bodies b ON b.event_id = e.id), "
                       "(SELECT COUNT(*) FROM decision_log), (SELECT SUM(length(record_json)) FROM decision_log), "
                       "(SELECT SUM(length(body) + length(headers_json) + length(path)) FROM outbox)", -1, &st, nullptr);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0) {
      const double n = static_cast<double>(sqlite3_column_int64(st, 0));
      std::printf("store per event: webhook %.0f B, decision log %.1f rows / %.0f B, outbox %.0f B\n",
                  sqlite3_column_double(st, 1) / n, sqlite3_column_double(st, 2) / n, sqlite3_column_double(st, 3) / n,
                  sqlite3_column_double(st, 4) / n);
    }
    sqlite3_finalize(st);
    // Events that led to no call: say why (their decision log), so a gap is never silent.
    sqlite3_prepare_v2(db, "SELECT e.id, e.state, (SELECT group_concat(d.stage || ' ' || COALESCE(json_extract(d.record_json, '$.script'), '') || ' ' || "
                       "COALESCE(json_extract(d.record_json, '$.outcome'), '') || ' ' || COALESCE(json_extract(d.record_json, '$.reason'), ''), ' | ') "
                       "FROM decision_log d WHERE d.event_id = e.id) FROM events e WHERE NOT EXISTS "
                       "(SELECT 1 FROM outbox o WHERE o.event_id = e.id) LIMIT 5", -1, &st, nullptr);
    while (sqlite3_step(st) == SQLITE_ROW) {
      const unsigned char* log = sqlite3_column_text(st, 2);
      std::printf("  event %lld (state %d) made no call: %s\n", static_cast<long long>(sqlite3_column_int64(st, 0)),
                  sqlite3_column_int(st, 1), log ? reinterpret_cast<const char*>(log) : "(no decision log)");
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
  }

  // 2. Latency at a fixed rate.
  const int64_t lat_first = 5'000'000;
  const int64_t n = static_cast<int64_t>(rate * seconds);
  LoadResult fixed = RunLoad(port, 64, seconds + 5, n, rate, [&](int64_t i) { return request(lat_first + i); });
  auto arrived = WaitCalls(helpdesk, lat_first, lat_first + n, 60);
  std::vector<double> lat;
  for (const auto& [id, t] : arrived) lat.push_back(static_cast<double>(t - phase.sent_ms[id]));
  std::printf("at %.0f events/s: %lld sent, %lld acknowledged, %zu calls arrived; webhook->call p50 %.0f ms, "
              "p99 %.0f ms, max %.0f ms (ack p50 %.2f ms, p99 %.2f ms)\n",
              rate, static_cast<long long>(n), static_cast<long long>(fixed.ok), arrived.size(), Percentile(lat, 0.5),
              Percentile(lat, 0.99), Percentile(lat, 1.0), Percentile(fixed.latencies_ms, 0.5),
              Percentile(fixed.latencies_ms, 0.99));
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  helpdesk.Stop();
  if (std::getenv("DESKHOOK_BENCH_KEEP") == nullptr) std::filesystem::remove_all(dir); else std::printf("kept %s\n", dir.c_str());
  return 0;
}
