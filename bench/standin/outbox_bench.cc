// bench_outbox: delivery throughput of the outbox against the in-process stand-in helpdesk.
// Enqueues N calls (one event each, spread over many tickets) into a fresh store, starts the
// delivery and reports calls/s until every item is done, for a few lane concurrencies.
//   bench_outbox [--calls 5000] [--tickets 500] [--fsync 1] [--concurrency 1,8,32]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <thread>

#include "bench/standin/standin.h"
#include "connectors/connector.h"
#include "host/outbox.h"
#include "host/store.h"

namespace {

using namespace deskhook;

class BenchConnector : public Connector {
 public:
  explicit BenchConnector(InstanceConfig c) : Connector(std::move(c)) {}
  std::string_view kind() const override { return "zendesk"; }
  Status Verify(const HeaderMap&, std::string_view, int64_t) const override { return Status::Ok(); }
  Result<InboundEvent> Parse(const HeaderMap&, std::string_view) const override {
    return Status::InvalidArgument("bench");
  }
  std::vector<ApiCall> BuildCalls(const Ticket&, const DecisionSet&, std::string_view) const override {
    return {};
  }
  std::vector<std::pair<std::string, std::string>> AuthHeaders() const override {
    return {{"Authorization", "Bearer bench"}};
  }
  bool IsOwnChange(const InboundEvent&) const override { return false; }
};

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

const char* Arg(int argc, char** argv, const char* name, const char* def) {
  for (int i = 1; i + 1 < argc; ++i) if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  return def;
}

}  // namespace

int main(int argc, char** argv) {
  const int calls = std::atoi(Arg(argc, argv, "--calls", "5000"));
  const int tickets = std::atoi(Arg(argc, argv, "--tickets", "500"));
  const bool fsync = std::atoi(Arg(argc, argv, "--fsync", "1")) != 0;
  std::vector<int> concurrencies;
  std::stringstream cs(Arg(argc, argv, "--concurrency", "1,8,32"));
  for (std::string x; std::getline(cs, x, ',');) concurrencies.push_back(std::atoi(x.c_str()));

  standin::Standin helpdesk;
  const int port = helpdesk.Start(0, "", 64);
  InstanceConfig ic;
  ic.name = "bench";
  ic.kind = "zendesk";
  ic.base_url = "http://127.0.0.1:" + std::to_string(port);
  BenchConnector connector(ic);

  std::printf("bench_outbox: %d calls over %d tickets, store fsync=%s, stand-in on 127.0.0.1\n",
              calls, tickets, fsync ? "full" : "normal");
  for (int concurrency : concurrencies) {
    auto dir = std::filesystem::temp_directory_path() /
               ("deskhook-bench-outbox-" + std::to_string(getpid()) + "-" + std::to_string(concurrency));
    std::filesystem::create_directories(dir);
    StoreOptions so;
    so.path = (dir / "store.db").string();
    so.synchronous_full = fsync;
    auto store = Store::Open(so);
    if (!store.ok()) {
      std::fprintf(stderr, "store: %s\n", store.status().ToString().c_str());
      return 1;
    }
    // Enqueue in parallel so group commit batches the setup writes.
    std::vector<std::thread> writers;
    for (int w = 0; w < 16; ++w) {
      writers.emplace_back([&, w] {
        for (int i = w; i < calls; i += 16) {
          NewEvent ev{"bench", std::to_string(1 + i % tickets), "ticket_updated",
                      "bench-" + std::to_string(i), false, 0, "{}", ""};
          auto a = (*store)->AppendEvent(ev);
          ApiCall c;
          c.kind = "ticket_update";
          c.method = "PUT";
          c.path = "/api/v2/tickets/" + ev.ticket_id;
          c.body = R"({"ticket":{"additional_tags":["b)" + std::to_string(i) + R"("]}})";
          c.idempotency_key = ev.dedupe_key;
          ProcessedEvent p;
          p.event_id = a->event_id;
          p.calls = {c};
          (void)(*store)->CommitProcessed(p);
        }
      });
    }
    for (auto& t : writers) t.join();
    helpdesk.Reset();

    OutboxOptions opts;
    opts.defaults.rate_per_s = 0;
    opts.defaults.concurrency = concurrency;
    opts.defaults.max_in_memory = 4096;
    opts.poll_batch = 1024;
    opts.poll_interval_ms = 10;
    OutboxDelivery delivery(store->get(), {{"bench", &connector}}, opts);
    const int64_t start = NowMs();
    if (!delivery.Start().ok()) return 1;
    while (delivery.Stats().delivered < calls) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      if (NowMs() - start > 600000) break;
    }
    const int64_t ms = NowMs() - start;
    delivery.Stop();
    std::printf("  concurrency %-3d  delivered %lld in %lld ms  = %.0f calls/s  (stand-in saw %zu)\n",
                concurrency, static_cast<long long>(delivery.Stats().delivered),
                static_cast<long long>(ms), delivery.Stats().delivered * 1000.0 / std::max<int64_t>(ms, 1),
                helpdesk.CallCount());
    store->reset();
    std::filesystem::remove_all(dir);
  }
  return 0;
}
