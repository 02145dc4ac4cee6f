// kill -9 during a burst of appends: every acknowledged event must be in the store afterwards.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include "host/store.h"
#include "tests/host/store/store_test_util.h"

namespace deskhook {
namespace {

using testing::TempDir;

// The child: appends from several threads as fast as it can and records each key whose
// AppendEvent returned OK (one write(2) per key, so a kill leaves whole lines only). Never returns.
[[noreturn]] void RunChild(const std::string& db, const std::string& acks, int round,
                           bool sync_full) {
  int fd = ::open(acks.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0) _exit(2);
  StoreOptions options = testing::Options(db);
  options.synchronous_full = sync_full;
  auto opened = Store::Open(options);
  if (!opened.ok()) _exit(3);
  std::unique_ptr<Store> store = std::move(opened).value();
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0;; ++i) {
        std::string key = "r" + std::to_string(round) + "-t" + std::to_string(t) + "-" +
                          std::to_string(i);
        NewEvent e = testing::MakeEvent("zd", key, "T" + std::to_string(i % 17),
                                        std::string(200 + i % 300, 'x'));
        auto r = store->AppendEvent(e);
        if (r.ok() && !r->duplicate) {
          std::string line = key + "\n";
          if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) _exit(4);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  _exit(0);
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// Kills a child mid-burst `rounds` times on the same database; after each kill, reopens it and
// checks integrity and that every acknowledged key is there.
void RunCrashRounds(int rounds, bool sync_full) {
  TempDir dir;
  const std::string db = dir.File("crash.db");
  const std::string acks = dir.File("acks.txt");
  size_t previous_acks = 0;   // lines
  off_t previous_bytes = 0;
  for (int round = 0; round < rounds; ++round) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) RunChild(db, acks, round, sync_full);

    // Let the burst get going, then kill it mid-flight.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    struct stat st {};
    while ((::stat(acks.c_str(), &st) != 0 || st.st_size == previous_bytes) &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    int wstatus = 0;
    ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL)
        << "child exited early with status " << wstatus;

    std::vector<std::string> acked = ReadLines(acks);
    ASSERT_GT(acked.size(), previous_acks) << "round " << round << " acknowledged nothing";
    auto store = testing::OpenOrFail(testing::Options(db));
    ASSERT_TRUE(store);
    EXPECT_EQ(testing::IntegrityCheck(*store), "ok");
    std::vector<std::string> keys = testing::AllDedupeKeys(*store);
    std::set<std::string> stored(keys.begin(), keys.end());
    EXPECT_EQ(stored.size(), keys.size()) << "an event was stored twice";
    size_t missing = 0;
    for (const std::string& k : acked) missing += stored.count(k) == 0 ? 1 : 0;
    EXPECT_EQ(missing, 0u) << "of " << acked.size() << " acknowledged keys (round " << round << ")";
    std::printf("sync=%s round %d: %zu acknowledged in total, %zu stored\n",
                sync_full ? "FULL" : "NORMAL", round, acked.size(), stored.size());
    previous_acks = acked.size();
    previous_bytes = ::stat(acks.c_str(), &st) == 0 ? st.st_size : 0;
  }
}

TEST(StoreCrash, EveryAcknowledgedAppendSurvivesKill9) { RunCrashRounds(4, true); }

// synchronous=NORMAL skips the fsync per commit; a process crash must still lose nothing.
TEST(StoreCrash, EveryAcknowledgedAppendSurvivesKill9WithSynchronousNormal) {
  RunCrashRounds(2, false);
}

}  // namespace
}  // namespace deskhook
