// In-process cost of the pipeline worker's part of one event, on one thread: EventProcessor
// (normalise or take the handed-over event, sentiment, the five example scripts, calls, the
// decision-log records) and the store commit of the results, with the e2e bench's two kinds of
// ticket. CPU time of this thread, so a busy machine distorts it far less than the e2e rates.
//
// The store runs with sync=normal (no fsync per commit; CPU is what this measures).
//
// usage: bench_processor [--events 20000] [--handoff 1] [--commit 1]
#include <time.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "bench_util.h"
#include "e2e_ticket.h"
#include "host/event_processor.h"
#include "host/store.h"
#include "sentiment/sentiment.h"

using namespace deskhook;
using namespace deskhook::bench;

namespace {

double ThreadCpuUs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

}  // namespace

int main(int argc, char** argv) {
  const int events = std::stoi(Arg(argc, argv, "events", "20000"));
  const bool handoff = Arg(argc, argv, "handoff", "1") == "1";
  const bool commit = Arg(argc, argv, "commit", "1") == "1";
  const std::string scripts = std::string(DESKHOOK_SOURCE_DIR) + "/examples/scripts";
  char tmpl[] = "/tmp/deskhook-proc-XXXXXX";
  const std::string dir = mkdtemp(tmpl);

  StoreOptions so;
  so.path = dir + "/p.db";
  so.synchronous_full = false;  // the events are stored one by one first: no fsync each
  auto store = Store::Open(so);
  if (!store.ok()) {
    std::fprintf(stderr, "store: %s\n", store.status().message().c_str());
    return 1;
  }
  InstanceConfig zd;
  zd.name = "zd";
  zd.kind = "zendesk";
  zd.signing_secret = "s";
  zd.base_url = "http://127.0.0.1:1";
  zd.api_email = "bot@example.com";
  zd.api_token = "t";
  auto connector = MakeConnector(zd);
  std::string error;
  auto scorer = sentiment::Scorer::Create(sentiment::Options{}, &error);
  scripts::RuntimeConfig rc;
  for (const char* s : {"wants_human.lua", "vip_requesters.lua", "escalate_frustration.lua", "churn_risk.lua",
                        "route_by_topic.lua"}) {
    rc.script_paths.push_back(scripts + "/" + s);
  }
  rc.module_dir = scripts;
  rc.escalate.tags = {"escalation"};
  rc.escalate.group_id = "360099";
  rc.escalate.priority = "high";
  auto processor = EventProcessor::Create(rc, store->get(), scorer.get(), nullptr);
  if (!connector.ok() || !scorer || !processor.ok()) {
    std::fprintf(stderr, "setup failed\n");
    return 1;
  }

  // Stored first (not measured), as ingest would have done.
  std::vector<StoredEvent> stored;
  for (int i = 0; i < events; ++i) {
    NewEvent e{.instance = "zd", .ticket_id = std::to_string(1'000'000 + i), .kind = "ticket_created",
               .dedupe_key = "d" + std::to_string(i), .received_ms = WallMs(), .body = E2eTicketBody(1'000'000 + i),
               .meta_json = R"({"topic":"ticket.created","delivery_id":"d)" + std::to_string(i) + R"(","actor_id":""})"};
    auto r = (*store)->AppendEvent(e);
    if (!r.ok()) return 1;
    StoredEvent s{.id = r->event_id, .instance = e.instance, .ticket_id = e.ticket_id, .kind = e.kind,
                  .dedupe_key = e.dedupe_key, .received_ms = e.received_ms, .body = e.body, .meta_json = e.meta_json};
    stored.push_back(std::move(s));
  }
  std::vector<InboundEvent> normalised;
  if (handoff) {
    for (const auto& s : stored) normalised.push_back((*connector)->Parse(HeaderMap{}, s.body).value());
  }

  double process_us = 0, commit_us = 0;
  size_t log_bytes = 0;
  std::vector<ProcessedEvent> batch;
  const double wall0 = static_cast<double>(WallMs());
  const double cpu0 = CpuMs();
  for (int i = 0; i < events; ++i) {
    double t0 = ThreadCpuUs();
    batch.push_back((*processor)->Process(stored[i], connector->get(), WallMs(), handoff ? &normalised[i] : nullptr));
    process_us += ThreadCpuUs() - t0;
    for (const auto& l : batch.back().log) log_bytes += l.record_json.size();
    if (batch.size() == 64 || i + 1 == events) {
      t0 = ThreadCpuUs();
      if (commit && !(*store)->CommitProcessedBatch(batch).ok()) return 1;
      (*processor)->AfterCommit();
      commit_us += ThreadCpuUs() - t0;  // this thread only; the store writer's CPU is not in it
      batch.clear();
    }
  }
  const double wall_s = (WallMs() - wall0) / 1000.0;
  std::printf("processor (%s, 5 example scripts): %d events, %.1f us CPU per event in Process, %.1f us waiting on "
              "commit (this thread), decision log %.0f B per event, %.0f events/s wall\n",
              handoff ? "handed-over events" : "parsed from the stored body", events, process_us / events,
              commit_us / events, static_cast<double>(log_bytes) / events, events / wall_s);
  std::printf("process CPU (all threads, incl. the store writer): %.1f us per event\n", 1000.0 * (CpuMs() - cpu0) / events);
  std::filesystem::remove_all(dir);
  return 0;
}
