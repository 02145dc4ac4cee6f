// Ingest benchmark: starts `deskhook serve` as its own process, sends signed Zendesk and
// Intercom deliveries over keep-alive connections, then the same load against the server's
// no-op endpoint (HTTP parse + 200), and prints events/s, p50/p99, the ratio and peak RSS.
//
// A third phase (`--paused-phase 1`, the default) sends the webhooks again with processing
// paused (POST /api/pipeline/pause): what ingest alone costs, without the pipeline beside it.
//
// usage: bench_ingest [--connections 32] [--seconds 10] [--workers 2] [--scripts DIR] [--binary PATH]
//                     [--sync full|normal] [--checkpoint-pages N] [--io-threads N] [--paused-phase 1|0]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include <httplib.h>

#include "host/webhook_signer.h"
#include "bench_util.h"
#include "load_client.h"

using namespace deskhook;
using namespace deskhook::bench;

namespace {

long PeakRssKb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

int64_t NowS() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string ZendeskBody(int64_t i) {
  return R"({"source":"zendesk-trigger","event":"ticket.created","ticket":{"id":")" + std::to_string(100000 + i % 5000) +
         R"(","subject":"Order problem","description":"My order has not arrived yet and I am getting frustrated, this is the second time.","latest_comment":"My order has not arrived yet and I am getting frustrated, this is the second time.","status":"new","priority":"normal","type":"question","tags":"orders","via":"Web form","created_at":"2026-11-22T09:00:00Z","updated_at":"2026-11-22T09:00:00Z","url":"https://acme.zendesk.com/agent/tickets/1","requester":{"id":"9001","name":"Dana","email":"dana@example.com"},"assignee":{"id":"","name":"","email":""},"group":{"id":"","name":""},"brand":"Acme"}})";
}

std::string IntercomBody(int64_t i) {
  return R"({"type":"notification_event","app_id":"acme01","id":"notif_bench_)" + std::to_string(i) +
         R"(","topic":"conversation.user.created","created_at":1795338000,"data":{"type":"notification_event_data","item":{"type":"conversation","id":")" +
         std::to_string(500000 + i % 5000) +
         R"(","created_at":1795338000,"updated_at":1795338000,"open":true,"state":"open","priority":"not_priority","source":{"type":"conversation","id":"s","delivered_as":"customer_initiated","subject":"","body":"<p>Hi, how do I change the email address on my account? Thanks!</p>","author":{"type":"user","id":"c_1","name":"Jo","email":"jo@example.com"}},"contacts":{"type":"contact.list","contacts":[{"type":"contact","id":"c_1"}]},"tags":{"type":"tag.list","tags":[]},"conversation_parts":{"type":"conversation_part.list","conversation_parts":[],"total_count":0}}}})";
}

int64_t CountStored(const std::string& db) {
  sqlite3* h = nullptr;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) return -1;
  sqlite3_stmt* st = nullptr;
  int64_t n = -1;
  if (sqlite3_prepare_v2(h, "SELECT COUNT(*) FROM events", -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
    n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(h);
  return n;
}

std::string ScrapeMetrics(int port) {
  httplib::Client c("127.0.0.1", port);
  auto res = c.Get("/metrics");
  return res && res->status == 200 ? res->body : "";
}

// The value of an unlabelled series `name` in Prometheus text, or 0.
double MetricValue(const std::string& text, const std::string& name) {
  size_t at = text.find("\n" + name + " ");
  return at == std::string::npos ? 0 : std::atof(text.c_str() + at + name.size() + 2);
}

void Report(const char* name, const LoadResult& r) {
  std::printf("%-10s requests=%lld ok=%lld errors=%lld seconds=%.2f rate=%.0f/s p50=%.2fms p99=%.2fms\n", name,
              static_cast<long long>(r.requests), static_cast<long long>(r.ok), static_cast<long long>(r.errors),
              r.seconds, r.ok / r.seconds, Percentile(r.latencies_ms, 0.50), Percentile(r.latencies_ms, 0.99));
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const int connections = std::stoi(Arg(argc, argv, "connections", "32"));
  const double seconds = std::stod(Arg(argc, argv, "seconds", "10"));
  const std::string workers = Arg(argc, argv, "workers", "2");
  const std::string binary = Arg(argc, argv, "binary", DESKHOOK_BINARY);
  const std::string scripts_dir = Arg(argc, argv, "scripts", "");
  const std::string sync = Arg(argc, argv, "sync", "full");
  const std::string checkpoint_pages = Arg(argc, argv, "checkpoint-pages", "4000");
  const std::string io_threads = Arg(argc, argv, "io-threads", "1");
  const bool paused_phase = Arg(argc, argv, "paused-phase", "1") != "0";

  char tmpl[] = "/tmp/deskhook-bench-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  int port = FreePort();

  InstanceConfig zd, ic;
  zd.name = "zd", zd.kind = "zendesk", zd.signing_secret = "bench-zendesk-secret";
  ic.name = "ic", ic.kind = "intercom", ic.signing_secret = "bench-intercom-secret";
  std::string scripts;
  if (!scripts_dir.empty()) {
    scripts = ",\"scripts\":{\"files\":[";
    bool first = true;
    for (const auto& e : std::filesystem::directory_iterator(scripts_dir)) {
      std::string p = e.path().string();
      if (p.size() > 4 && p.substr(p.size() - 4) == ".lua" && p.find("_test.lua") == std::string::npos) {
        scripts += (first ? "\"" : ",\"") + p + "\"";
        first = false;
      }
    }
    scripts += "],\"module_dir\":\"" + scripts_dir + "\"}";
  }
  std::ofstream(dir + "/bench.json") << R"({"http":{"address":"127.0.0.1","port":)" << port
                                     << R"(,"io_threads":)" << io_threads
                                     // "threads" only for another --binary, which may predate the
                                     // event-loop front (thread per connection); this build warns
                                     // about the key, so it does not get it.
                                     << (binary == DESKHOOK_BINARY ? "" : R"(,"threads":)" + std::to_string(connections + 8))
                                     << R"(,"noop_endpoint":true},"store":{"path":")" << dir
                                     << R"(/bench.db","sync":")" << sync << R"(","checkpoint_pages":)" << checkpoint_pages << R"(},"workers":)" << workers << R"(,"log":{"level":"error"},"admin":{"token":"bench-admin-token"})" << scripts
                                     << R"(,"connectors":[{"name":"zd","kind":"zendesk","signing_secret":"bench-zendesk-secret","base_url":"http://127.0.0.1:9"},)"
                                     << R"({"name":"ic","kind":"intercom","signing_secret":"bench-intercom-secret"}]})";

  pid_t pid = StartServer(binary, dir + "/bench.json", port);
  if (pid < 0) {
    std::fprintf(stderr, "server did not become ready\n");
    return 1;
  }

  const int64_t ts = NowS();
  auto webhook = [&](int64_t i) -> std::pair<std::string, std::string> {
    std::string id;
    if (i % 2 == 0) {
      id = "zd-bench-" + std::to_string(i);
      std::string body = ZendeskBody(i);
      return {RawPost("/hooks/zd", SignDelivery(zd, body, ts, id), body), id};
    }
    id = "notif_bench_" + std::to_string(i);
    std::string body = IntercomBody(i);
    return {RawPost("/hooks/ic", SignDelivery(ic, body, ts, ""), body), id};
  };
  auto noop = [&](int64_t i) -> std::pair<std::string, std::string> {
    HeaderMap h;
    h.Add("Content-Type", "application/json");
    return {RawPost("/noop", h, ZendeskBody(i)), ""};
  };

  std::printf("deskhook ingest bench: %d connections, %.0f s per phase, %s workers, %s io threads, store.sync=%s, "
              "scripts=%s\n",
              connections, seconds, workers.c_str(), io_threads.c_str(), sync.c_str(),
              scripts_dir.empty() ? "none" : scripts_dir.c_str());
  RunLoad(port, connections, 1.0, 0, 0, webhook);  // warm-up (ids 0..: distinct from the measured phase? no: see below)
  double server0 = CpuMs(pid), self0 = CpuMs();
  LoadResult hooks = RunLoad(port, connections, seconds, 0, 0, [&](int64_t i) { return webhook(i + 10'000'000); });
  double server1 = CpuMs(pid), self1 = CpuMs();
  const std::string metrics = ScrapeMetrics(port);
  LoadResult base = RunLoad(port, connections, seconds, 0, 0, noop);
  double server2 = CpuMs(pid), self2 = CpuMs();
  Report("webhooks", hooks);
  const double commits = MetricValue(metrics, "deskhook_store_commits_total");
  if (commits > 0) {
    std::printf("store: %.0f transactions, %.1f operations per transaction (group commit), %.0f replayed, "
                "%.0f checkpoints, %.0f WAL restarts\n",
                commits, MetricValue(metrics, "deskhook_store_ops_total") / commits,
                MetricValue(metrics, "deskhook_store_replayed_batches_total"),
                MetricValue(metrics, "deskhook_store_checkpoints_total"),
                MetricValue(metrics, "deskhook_store_wal_restarts_total"));
  }
  const double batches = MetricValue(metrics, "deskhook_pipeline_batches_total");
  if (batches > 0) {
    std::printf("pipeline: %.0f events processed in %.0f commits (%.1f per commit)\n",
                MetricValue(metrics, "deskhook_receipt_to_decision_seconds_count"), batches,
                MetricValue(metrics, "deskhook_receipt_to_decision_seconds_count") / batches);
  }
  const double hits = MetricValue(metrics, "deskhook_pipeline_handoff_total{result=\"hit\"}");
  const double misses = MetricValue(metrics, "deskhook_pipeline_handoff_total{result=\"miss\"}");
  if (hits + misses > 0) {
    std::printf("pipeline hand-off from ingest: %.0f of %.0f events (the rest read from the store)\n", hits, hits + misses);
  }
  const double cached = MetricValue(metrics, "deskhook_pipeline_sentiment_cache_total{result=\"hit\"}");
  const double uncached = MetricValue(metrics, "deskhook_pipeline_sentiment_cache_total{result=\"miss\"}");
  if (cached + uncached > 0) {
    std::printf("pipeline sentiment histories from the worker cache: %.0f of %.0f events (the rest read from the store)\n",
                cached, cached + uncached);
  }
  Report("noop", base);
  // CPU per request (server process / this load generator): what the rates divide 2 cores by.
  std::printf("cpu per request: webhooks server %.1f us + client %.1f us; noop server %.1f us + client %.1f us\n",
              1000.0 * (server1 - server0) / static_cast<double>(hooks.requests),
              1000.0 * (self1 - self0) / static_cast<double>(hooks.requests),
              1000.0 * (server2 - server1) / static_cast<double>(base.requests),
              1000.0 * (self2 - self1) / static_cast<double>(base.requests));
  // Ingest alone: the same webhooks with the pipeline paused (the events stay pending).
  std::optional<LoadResult> alone;
  if (paused_phase) {
    httplib::Client admin("127.0.0.1", port);
    auto res = admin.Post("/api/pipeline/pause", {{"Authorization", "Bearer bench-admin-token"}},
                          R"({"reason":"bench_ingest: ingest alone"})", "application/json");
    if (res && res->status == 200) {
      alone = RunLoad(port, connections, seconds, 0, 0, [&](int64_t i) { return webhook(i + 20'000'000); });
      const double server3 = CpuMs(pid), self3 = CpuMs();
      Report("paused", *alone);
      std::printf("cpu per request, processing paused: webhooks server %.1f us + client %.1f us\n",
                  1000.0 * (server3 - server2) / static_cast<double>(alone->requests),
                  1000.0 * (self3 - self2) / static_cast<double>(alone->requests));
    } else {
      std::printf("paused phase skipped: this binary has no POST /api/pipeline/pause\n");
    }
  }
  long rss_kb = PeakRssKb(pid);
  std::set<std::string> distinct(hooks.ok_ids.begin(), hooks.ok_ids.end());
  if (alone) distinct.insert(alone->ok_ids.begin(), alone->ok_ids.end());
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  int64_t stored = CountStored(dir + "/bench.db");
  double ratio = (hooks.ok / hooks.seconds) / (base.ok / base.seconds);
  std::printf("durably stored events/s: %.0f   p50 %.2f ms   p99 %.2f ms   ratio to no-op: %.2f   peak RSS: %.1f MB\n",
              hooks.ok / hooks.seconds, Percentile(hooks.latencies_ms, 0.5), Percentile(hooks.latencies_ms, 0.99), ratio,
              rss_kb / 1024.0);
  if (alone) {
    std::printf("ingest alone (processing paused): %.0f stored/s   p50 %.2f ms   p99 %.2f ms   ratio to no-op: %.2f\n",
                alone->ok / alone->seconds, Percentile(alone->latencies_ms, 0.5), Percentile(alone->latencies_ms, 0.99),
                (alone->ok / alone->seconds) / (base.ok / base.seconds));
  }
  std::printf("check: %zu acknowledged in the measured phases; %lld events in the store after shutdown (includes warm-up)\n",
              distinct.size(), static_cast<long long>(stored));
  std::filesystem::remove_all(dir);
  return 0;
}
