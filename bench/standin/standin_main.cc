// deskhook-standin: a local stand-in helpdesk for the demo, the bench and fault tests.
//   deskhook-standin [--port 8090] [--record calls.jsonl] [--threads 16]
//                    [--fail-rate 0.2] [--fail-next N] [--status 500] [--retry-after S]
//                    [--rate-reset-in S] [--delay-ms MS] [--reset]
// Fault flags apply to matching non-GET calls; change them at run time with
//   curl -XPOST localhost:PORT/_standin/fault -d '{"fail_next":3,"status":503}'
// Recorded calls: GET /_standin/calls (JSON lines); state: GET /_standin/state.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>

#include "bench/standin/standin.h"

namespace {
volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

const char* Arg(int argc, char** argv, const char* name) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  }
  return nullptr;
}
bool Has(int argc, char** argv, const char* name) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return true;
  }
  return false;
}
}  // namespace

int main(int argc, char** argv) {
  using deskhook::standin::Fault;
  if (Has(argc, argv, "--help") || Has(argc, argv, "-h")) {
    std::printf(
        "usage: deskhook-standin [--port N] [--record FILE] [--threads N] [--fail-rate P]\n"
        "       [--fail-next N] [--status CODE] [--retry-after S] [--rate-reset-in S]\n"
        "       [--delay-ms MS] [--reset]\n");
    return 0;
  }
  int port = 8090;
  if (const char* v = Arg(argc, argv, "--port")) port = std::atoi(v);
  std::string record = Arg(argc, argv, "--record") ? Arg(argc, argv, "--record") : "";
  int threads = Arg(argc, argv, "--threads") ? std::atoi(Arg(argc, argv, "--threads")) : 16;
  Fault f;
  if (const char* v = Arg(argc, argv, "--fail-rate")) f.fail_rate = std::atof(v);
  if (const char* v = Arg(argc, argv, "--fail-next")) f.fail_next = std::atoi(v);
  if (const char* v = Arg(argc, argv, "--status")) f.status = std::atoi(v);
  if (const char* v = Arg(argc, argv, "--retry-after")) f.retry_after_s = std::atoi(v);
  if (const char* v = Arg(argc, argv, "--rate-reset-in")) f.rate_reset_in_s = std::atoll(v);
  if (const char* v = Arg(argc, argv, "--delay-ms")) f.delay_ms = std::atoi(v);
  f.reset = Has(argc, argv, "--reset");
  if ((f.retry_after_s >= 0 || f.rate_reset_in_s >= 0) && !Arg(argc, argv, "--status")) f.status = 429;
  if (f.delay_ms > 0 && !Arg(argc, argv, "--status")) f.status = 0;  // slow, then a normal answer

  deskhook::standin::Standin standin;
  standin.SetFault(f);
  int bound = standin.Start(port, record, threads);
  if (bound < 0) {
    std::fprintf(stderr, "deskhook-standin: cannot listen on 127.0.0.1:%d\n", port);
    return 1;
  }
  std::printf("deskhook-standin listening on http://127.0.0.1:%d\n", bound);
  std::fflush(stdout);
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  while (!g_stop) pause();
  standin.Stop();
  return 0;
}
