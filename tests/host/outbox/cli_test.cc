// `deskhook outbox list|show|retry|drop` against a real store file.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>

#include "host/outbox.h"
#include "outbox_test_util.h"

namespace deskhook {
namespace {

struct CliRun {
  int code = -1;
  std::string out;
};

CliRun Deskhook(const std::string& args) {
  CliRun r;
  std::string cmd = std::string(DESKHOOK_BINARY) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class OutboxCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ids = testing::Enqueue(ts_.store.get(), "acme", "42", {testing::TagCall("42", "x")});
    dead_ = ids[0];
    OutboxItem item = ts_.store->GetOutbox(dead_).value();
    item.state = OutboxState::kDead;
    item.attempts = 1;
    item.last_status = 400;
    item.last_error = "HTTP 400: {\"error\":\"RecordInvalid\"}";
    item.updated_ms = 0;
    ASSERT_TRUE(ts_.store->UpdateOutbox(item).ok());
    pending_ = testing::Enqueue(ts_.store.get(), "acme", "43", {testing::TagCall("43", "y")})[0];
  }
  std::string StoreFlag() { return "--store " + ts_.path; }
  OutboxState State(int64_t id) { return ts_.store->GetOutbox(id).value().state; }

  testing::TempStore ts_{"cli"};
  int64_t dead_ = 0, pending_ = 0;
};

TEST_F(OutboxCliTest, ListsDeadLettersWithTheirReason) {
  CliRun r = Deskhook("outbox list --state dead " + StoreFlag());
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find(std::to_string(dead_) + " "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("RecordInvalid"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("\n" + std::to_string(pending_) + " "), std::string::npos) << r.out;
  CliRun all = Deskhook("outbox list --json " + StoreFlag());
  ASSERT_EQ(all.code, 0);
  EXPECT_NE(all.out.find("\"state\":\"pending\""), std::string::npos) << all.out;
  EXPECT_NE(all.out.find("\"state\":\"dead\""), std::string::npos) << all.out;
}

TEST_F(OutboxCliTest, RetryPutsADeadLetterBackAndDropRemovesOne) {
  CliRun r = Deskhook("outbox retry " + std::to_string(dead_) + " " + StoreFlag());
  ASSERT_EQ(r.code, 0) << r.out;
  OutboxItem item = ts_.store->GetOutbox(dead_).value();
  EXPECT_EQ(item.state, OutboxState::kPending);
  EXPECT_EQ(item.attempts, 0);
  // Retrying a pending item is refused and changes nothing.
  CliRun again = Deskhook("outbox retry " + std::to_string(dead_) + " " + StoreFlag());
  EXPECT_EQ(again.code, 1);
  EXPECT_NE(again.out.find("only dead or dropped"), std::string::npos) << again.out;

  CliRun d = Deskhook("outbox drop " + std::to_string(pending_) + " " + StoreFlag());
  ASSERT_EQ(d.code, 0) << d.out;
  EXPECT_EQ(State(pending_), OutboxState::kDropped);
}

TEST_F(OutboxCliTest, BadInputIsAClearErrorAndChangesNothing) {
  EXPECT_EQ(Deskhook("outbox retry abc " + StoreFlag()).code, 2);
  EXPECT_EQ(Deskhook("outbox frobnicate " + StoreFlag()).code, 2);
  EXPECT_EQ(Deskhook("outbox list --state zombie " + StoreFlag()).code, 2);
  CliRun missing = Deskhook("outbox retry 999999 " + StoreFlag());
  EXPECT_EQ(missing.code, 1);
  CliRun nostore = Deskhook("outbox list --store /nonexistent/deskhook.db");
  EXPECT_EQ(nostore.code, 1);
  EXPECT_NE(nostore.out.find("no store"), std::string::npos);
  EXPECT_EQ(State(dead_), OutboxState::kDead);
  EXPECT_EQ(State(pending_), OutboxState::kPending);
  CliRun show = Deskhook("outbox show " + std::to_string(dead_) + " " + StoreFlag());
  ASSERT_EQ(show.code, 0);
  EXPECT_NE(show.out.find("\"last_status\":400"), std::string::npos) << show.out;
}

}  // namespace
}  // namespace deskhook
