// Child process for the kill -9 test: delivers a store's outbox to a stand-in helpdesk until
// it is killed. Usage: outbox_crash_child STORE_PATH PORT
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "host/outbox.h"
#include "outbox_test_util.h"

int main(int argc, char** argv) {
  using namespace deskhook;
  if (argc != 3) {
    std::fprintf(stderr, "usage: outbox_crash_child STORE_PATH PORT\n");
    return 2;
  }
  StoreOptions so;
  so.path = argv[1];
  auto store = Store::Open(so);
  if (!store.ok()) {
    std::fprintf(stderr, "store: %s\n", store.status().ToString().c_str());
    return 1;
  }
  testing::FakeConnector connector(testing::FakeInstance("crash", std::atoi(argv[2]), 400));
  OutboxOptions opts;
  opts.base_backoff_ms = 20;
  opts.max_backoff_ms = 200;
  opts.max_attempts = 1000;  // faults are frequent; nothing should be dead-lettered
  opts.poll_interval_ms = 20;
  opts.defaults.rate_per_s = 0;
  opts.defaults.concurrency = 4;
  opts.defaults.circuit_failures = 1000;
  OutboxDelivery delivery(store.value().get(), {{"crash", &connector}}, opts);
  Status s = delivery.Start();
  if (!s.ok()) {
    std::fprintf(stderr, "start: %s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("ready\n");
  std::fflush(stdout);
  for (;;) pause();
}
