// Runs the built `deskhook group-questions` and checks its line protocol.
#include <gtest/gtest.h>

#include <cstdio>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct CliRun {
  int exit_code = -1;
  std::vector<std::string> lines;
};

CliRun RunCli(const std::string& args, const std::string& input) {
  // A file of its own: ctest runs the tests of this binary in parallel processes.
  char name[] = "/tmp/faq_cli_test_input_XXXXXX";
  int fd = mkstemp(name);
  close(fd);
  std::filesystem::path in(name);
  std::ofstream(in) << input;
  std::string cmd = std::string(DESKHOOK_BINARY) + " group-questions " + args + " < " + in.string() +
                    " 2>/dev/null";
  CliRun r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::filesystem::remove(in);
  std::stringstream ss(out);
  std::string line;
  while (std::getline(ss, line)) r.lines.push_back(line);
  return r;
}

TEST(GroupQuestionsCli, OneIdPerLineSameIdForSameQuestion) {
  CliRun r = RunCli("--threshold 0.3",
                 "How do I reset my password?\n"
                 "My card has not arrived yet\n"
                 "I forgot my password, how can I reset it?\n"
                 "\n"
                 "My new card still has not arrived\n");
  ASSERT_EQ(r.exit_code, 0);
  ASSERT_EQ(r.lines.size(), 5u);
  EXPECT_EQ(r.lines[0], r.lines[2]);
  EXPECT_EQ(r.lines[1], r.lines[4]);
  EXPECT_NE(r.lines[0], r.lines[1]);
  EXPECT_EQ(r.lines[3], "u4") << "an empty line gets its own id";
}

TEST(GroupQuestionsCli, StricterThresholdSplitsLooseParaphrases) {
  std::string input = "How do I reset my password?\nreset password\n";
  EXPECT_EQ(RunCli("--threshold 0.2", input).lines.size(), 2u);
  CliRun loose = RunCli("--threshold 0.2", input), strict = RunCli("--threshold 0.99", input);
  EXPECT_EQ(loose.lines[0], loose.lines[1]);
  EXPECT_NE(strict.lines[0], strict.lines[1]);
}

TEST(GroupQuestionsCli, RejectsBadThreshold) {
  EXPECT_EQ(RunCli("--threshold abc", "x\n").exit_code, 2);
  EXPECT_EQ(RunCli("--threshold 1.5", "x\n").exit_code, 2);
  EXPECT_EQ(RunCli("--join-margin -0.1", "x\n").exit_code, 2);
  EXPECT_EQ(RunCli("--join-margin 2", "x\n").exit_code, 2);
  EXPECT_EQ(RunCli("--join-margin 0.1", "x\n").exit_code, 0);
  CliRun empty = RunCli("", "");
  EXPECT_EQ(empty.exit_code, 0);
  EXPECT_TRUE(empty.lines.empty());
}

}  // namespace
