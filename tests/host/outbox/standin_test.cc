// The stand-in helpdesk on its own: its admin endpoints, recording, and the faults the outbox
// tests rely on, seen by an HTTP client (a reset is no answer, a delay holds no thread).
#include <gtest/gtest.h>
#include <unistd.h>

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "bench/standin/standin.h"

namespace deskhook::standin {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

httplib::Client ClientFor(int port) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(5);
  c.set_keep_alive(true);
  return c;
}

const char kNote[] = R"({"ticket":{"comment":{"body":"hello [deskhook] m-1","public":false}}})";

TEST(Standin, ResetAppliesTheEffectButGivesNoAnswer) {
  Standin s;
  const int port = s.Start();
  ASSERT_GT(port, 0);
  Fault f;
  f.fail_next = 1;
  f.reset = true;
  s.SetFault(f);
  auto c = ClientFor(port);
  auto dropped = c.Put("/api/v2/tickets/7", kNote, "application/json");
  EXPECT_FALSE(dropped) << "status " << dropped->status;
  EXPECT_EQ(dropped.error(), httplib::Error::Read);
  EXPECT_EQ(s.EffectCount("m-1"), 1) << "a reset is an ambiguous failure: the effect happened";
  auto calls = s.Calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].status, 0);
  EXPECT_EQ(calls[0].fault, "reset");

  auto next = ClientFor(port).Put("/api/v2/tickets/7", R"({"ticket":{"additional_tags":["x"]}})", "application/json");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200) << "only the next call was faulted";
  EXPECT_EQ(s.Tags("7"), std::vector<std::string>{"x"});
}

TEST(Standin, DelayedAnswersHoldNoThread) {
  Standin s;
  const int port = s.Start(0, "", /*threads=*/1);
  ASSERT_GT(port, 0);
  Fault f;
  f.fail_rate = 1.0;
  f.status = 0;  // a normal answer, late
  f.delay_ms = 800;
  f.path_contains = "/tickets/7/";
  s.SetFault(f);
  // More slow calls at once than the stand-in has threads: all answered after one delay, not
  // one after another; and meanwhile other calls are answered at once.
  constexpr int kSlow = 40;
  std::atomic<int> ok{0};
  const auto t0 = Clock::now();
  std::vector<std::thread> clients;
  for (int i = 0; i < kSlow; ++i) {
    clients.emplace_back([&, i] {
      auto res = ClientFor(port).Post("/api/v2/tickets/7/tags", R"({"tags":["t)" + std::to_string(i) + R"("]})",
                                      "application/json");
      if (res && res->status == 200) ok++;
    });
  }
  std::this_thread::sleep_for(100ms);
  auto fast = ClientFor(port);
  const auto f0 = Clock::now();
  for (int i = 0; i < 5; ++i) {
    auto res = fast.Get("/api/v2/tickets/8.json");
    EXPECT_TRUE(res && res->status == 200);  // no ASSERT: the client threads must be joined
  }
  EXPECT_LT(Clock::now() - f0, 500ms) << "calls waited behind the delayed ones";
  for (auto& t : clients) t.join();
  const auto took = Clock::now() - t0;
  EXPECT_EQ(ok.load(), kSlow);
  EXPECT_GE(took, 800ms);
  EXPECT_LT(took, 2400ms) << "delayed answers were served one thread at a time";
  int delayed = 0;
  for (const auto& c : s.Calls()) delayed += c.fault == "delay";
  EXPECT_EQ(delayed, kSlow);
}

TEST(Standin, AdminEndpointsSetFaultsAndShowCallsAndState) {
  namespace fs = std::filesystem;
  const fs::path record = fs::temp_directory_path() / ("deskhook-standin-" + std::to_string(getpid()) + ".jsonl");
  fs::remove(record);
  Standin s;
  const int port = s.Start(0, record.string());
  ASSERT_GT(port, 0);
  auto c = ClientFor(port);

  auto set = c.Post("/_standin/fault", R"({"fail_next":1,"status":429,"retry_after":3})", "application/json");
  ASSERT_TRUE(set);
  EXPECT_EQ(set->status, 200);
  auto limited = c.Put("/api/v2/tickets/9", kNote, "application/json");
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->status, 429);
  EXPECT_EQ(limited->get_header_value("Retry-After"), "3");
  EXPECT_EQ(s.EffectCount("m-1"), 0) << "a status fault does not apply the call";
  auto applied = c.Put("/api/v2/tickets/9", kNote, "application/json");
  ASSERT_TRUE(applied);
  EXPECT_EQ(applied->status, 200);
  auto unknown = c.Patch("/api/v2/nowhere", "", "application/json");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_NE(unknown->body.find("InvalidEndpoint"), std::string::npos);

  auto calls = c.Get("/_standin/calls");
  ASSERT_TRUE(calls);
  EXPECT_EQ(calls->get_header_value("Content-Type"), "application/x-ndjson");
  std::string expected;
  for (const auto& call : s.Calls()) expected += Standin::CallJson(call) + "\n";
  EXPECT_EQ(calls->body, expected);
  ASSERT_EQ(s.CallCount(), 3u) << "admin requests are not recorded";
  EXPECT_EQ(s.Calls()[0].status, 429);
  EXPECT_EQ(s.Calls()[2].method, "PATCH");

  auto state = c.Get("/_standin/state");
  ASSERT_TRUE(state);
  EXPECT_EQ(state->body, s.StateJson());
  EXPECT_NE(state->body.find("m-1"), std::string::npos);

  EXPECT_EQ(c.Post("/_standin/fault", "not json", "application/json")->status, 400);
  EXPECT_EQ(c.Get("/_standin/nope")->status, 404);
  EXPECT_EQ(c.Get("/_standin/reset")->status, 404) << "reset is POST only";
  EXPECT_EQ(s.CallCount(), 3u);
  EXPECT_EQ(c.Post("/_standin/reset", "", "application/json")->status, 200);
  EXPECT_EQ(s.CallCount(), 0u);
  EXPECT_EQ(s.EffectCount("m-1"), 0);

  s.Stop();
  std::ifstream in(record);
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) lines += line.find("\"path\":\"/api/v2/") != std::string::npos;
  EXPECT_EQ(lines, 3) << "every call is appended to the record file";
  fs::remove(record);
}

TEST(Standin, StopsAndStartsAgain) {
  Standin s;
  const int port = s.Start();
  ASSERT_GT(port, 0);
  EXPECT_EQ(s.Start(), -1) << "already serving";
  Standin other;
  EXPECT_EQ(other.Start(port), -1) << "the port is taken";
  s.Stop();
  s.Stop();
  EXPECT_FALSE(ClientFor(port).Get("/api/v2/tickets/1.json")) << "nothing listens after Stop";
  ASSERT_EQ(s.Start(port), port);
  auto res = ClientFor(port).Get("/api/v2/tickets/1.json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

}  // namespace
}  // namespace deskhook::standin
