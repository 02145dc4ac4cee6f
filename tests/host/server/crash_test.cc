// kill -9 during a burst of signed deliveries: every delivery that got a 2xx is in the store
// after restart. Runs the real `deskhook serve` binary as a child process.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "host/store.h"
#include "test_env.h"

namespace deskhook {
namespace {
using namespace deskhook::testing;

pid_t StartServer(const std::string& config) {
  pid_t pid = fork();
  if (pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 2);
    execl(DESKHOOK_BINARY, DESKHOOK_BINARY, "serve", "--config", config.c_str(), nullptr);
    _exit(127);
  }
  return pid;
}

bool WaitReady(int port) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(0, 200000);
  for (int i = 0; i < 200; ++i) {
    auto r = c.Get("/healthz");
    if (r && r->status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return false;
}

TEST(CrashTest, EveryAcknowledgedDeliverySurvivesKill9) {
  for (int round = 0; round < 3; ++round) {
    TempDir dir;
    int port = FreePort();
    std::string cfg = ConfigJson(dir.path);
    cfg.replace(cfg.find("\"port\": 0"), 9, "\"port\": " + std::to_string(port));
    std::string config_path = WriteFile(dir.path + "/deskhook.json", cfg);
    pid_t pid = StartServer(config_path);
    ASSERT_TRUE(WaitReady(port)) << "server did not start";

    std::mutex mu;
    std::set<std::string> acked;
    std::atomic<bool> stop{false};
    std::vector<std::thread> senders;
    for (int t = 0; t < 8; ++t) {
      senders.emplace_back([&, t] {
        httplib::Client c("127.0.0.1", port);
        c.set_keep_alive(true);
        c.set_read_timeout(2);
        for (int i = 0; !stop; ++i) {
          std::string id = "crash-" + std::to_string(t) + "-" + std::to_string(i);
          std::string body = ZendeskTriggerBody(std::to_string(t * 100000 + i), "burst");
          auto r = c.Post("/hooks/zd", SignedHeaders(ZendeskInstance(), body, id), body, "application/json");
          if (!r) break;  // the server is gone
          if (r->status / 100 == 2) {
            std::lock_guard<std::mutex> lock(mu);
            acked.insert(id);
          }
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(400 + 150 * round));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    stop = true;
    for (auto& s : senders) s.join();
    ASSERT_GT(acked.size(), 10u) << "too few deliveries before the kill to prove anything";

    StoreOptions so;
    so.path = dir.path + "/deskhook.db";
    auto store = Store::Open(so);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto count = (*store)->CountEvents();
    ASSERT_TRUE(count.ok());
    EXPECT_GE(*count, static_cast<int64_t>(acked.size()));
    // Each acknowledged delivery id is stored: re-appending it must be reported as a duplicate.
    int missing = 0;
    for (const auto& id : acked) {
      NewEvent probe;
      probe.instance = "zd";
      probe.dedupe_key = id;
      probe.ticket_id = "probe";
      probe.kind = "ticket_created";
      probe.body = "{}";
      auto r = (*store)->AppendEvent(probe);
      ASSERT_TRUE(r.ok());
      if (!r->duplicate) ++missing;
    }
    EXPECT_EQ(missing, 0) << "acknowledged deliveries lost after kill -9 (round " << round << ")";
  }
}

}  // namespace
}  // namespace deskhook

namespace deskhook {
namespace {
using namespace deskhook::testing;

// SIGTERM drains: every acknowledged delivery is processed before the process exits.
TEST(SignalTest, SigtermFinishesWhatWasAcknowledged) {
  TempDir dir;
  int port = FreePort();
  std::string cfg = ConfigJson(dir.path);
  cfg.replace(cfg.find("\"port\": 0"), 9, "\"port\": " + std::to_string(port));
  std::string config_path = WriteFile(dir.path + "/deskhook.json", cfg);
  pid_t pid = StartServer(config_path);
  ASSERT_TRUE(WaitReady(port));
  httplib::Client c("127.0.0.1", port);
  int acked = 0;
  for (int i = 0; i < 200; ++i) {
    std::string body = ZendeskTriggerBody(std::to_string(700 + i), "Still waiting, this is frustrating");
    auto r = c.Post("/hooks/zd", SignedHeaders(ZendeskInstance(), body, "term-" + std::to_string(i)), body,
                    "application/json");
    if (r && r->status == 200) ++acked;
  }
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  StoreOptions so;
  so.path = dir.path + "/deskhook.db";
  auto store = Store::Open(so);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(*(*store)->CountEvents(), acked);
  EXPECT_EQ(*(*store)->CountPending(), 0) << "acknowledged events left unprocessed after SIGTERM";
}

// SIGHUP with a script that does not compile: refused, the running version stays, serving goes on.
TEST(SignalTest, SighupRefusesABadScriptAndKeepsServing) {
  TempDir dir;
  int port = FreePort();
  std::string script = WriteFile(dir.path + "/rule.lua", "function on_ticket_created(t, ctx) tag('seen') end\n");
  std::string cfg = ConfigJson(dir.path, ",\n  \"scripts\": {\"files\": [\"" + script + "\"]}");
  cfg.replace(cfg.find("\"port\": 0"), 9, "\"port\": " + std::to_string(port));
  std::string config_path = WriteFile(dir.path + "/deskhook.json", cfg);
  pid_t pid = StartServer(config_path);
  ASSERT_TRUE(WaitReady(port));
  WriteFile(script, "function on_ticket_created(t, ctx) tag('seen' end\n");  // syntax error
  kill(pid, SIGHUP);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  httplib::Client c("127.0.0.1", port);
  std::string body = ZendeskTriggerBody("800", "hello");
  auto r = c.Post("/hooks/zd", SignedHeaders(ZendeskInstance(), body, "hup-1"), body, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // A good new version is taken on the next SIGHUP.
  WriteFile(script, "function on_ticket_created(t, ctx) tag('reloaded') end\n");
  kill(pid, SIGHUP);
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  body = ZendeskTriggerBody("801", "hello again");
  r = c.Post("/hooks/zd", SignedHeaders(ZendeskInstance(), body, "hup-2"), body, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  StoreOptions so;
  so.path = dir.path + "/deskhook.db";
  auto store = Store::Open(so);
  ASSERT_TRUE(store.ok());
  auto events = (*store)->RecentEvents(10);  // newest first
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 2u);
  auto decided = [&](int64_t id, const std::string& tag) {
    auto log = (*store)->LogFor(id);
    for (const auto& e : *log) {
      if (e.stage == "decision" && e.record_json.find("\"" + tag + "\"") != std::string::npos) return true;
    }
    return false;
  };
  EXPECT_TRUE(decided(events->back().id, "seen")) << "the running (good) version must survive a bad reload";
  EXPECT_TRUE(decided(events->front().id, "reloaded")) << "a good version must be taken on reload";
}

}  // namespace
}  // namespace deskhook
