// `deskhook score` as the evaluation harness runs it: lines in, one compound per line out.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <boost/json.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

struct CliRun {
  int status = -1;
  std::vector<std::string> lines;
};

CliRun Score(const std::string& input, const std::string& flags = "") {
  // Unique per process: ctest runs this binary's tests in parallel processes.
  const std::string in_path = ::testing::TempDir() + "deskhook_score_in_" + std::to_string(::getpid()) + ".txt";
  {
    std::ofstream f(in_path, std::ios::binary);
    f << input;
  }
  const std::string cmd = std::string(DESKHOOK_BINARY) + " score " + flags + " < " + in_path + " 2>/dev/null";
  CliRun r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  std::istringstream ss(out);
  for (std::string line; std::getline(ss, line);) r.lines.push_back(line);
  std::remove(in_path.c_str());
  return r;
}

TEST(ScoreCli, OneCompoundPerInputLine) {
  const CliRun r = Score(
      "I love this, thank you!\n"
      "This is the worst support ever\r\n"
      "\n"
      "caf\xC3\xA9 \xF0\x9F\x98\x80 \xFF broken bytes\n"
      "final line, no newline: terrible");
  ASSERT_EQ(r.status, 0);
  ASSERT_EQ(r.lines.size(), 5u);
  std::vector<double> v;
  for (const auto& line : r.lines) {
    char* end = nullptr;
    const double d = std::strtod(line.c_str(), &end);
    ASSERT_EQ(*end, '\0') << line;
    EXPECT_GE(d, -1.0);
    EXPECT_LE(d, 1.0);
    v.push_back(d);
  }
  EXPECT_GT(v[0], 0.5);
  EXPECT_LT(v[1], -0.5);
  EXPECT_EQ(v[2], 0.0);
  EXPECT_GT(v[3], 0.0);
  EXPECT_LT(v[4], -0.3);
}

TEST(ScoreCli, ManyLinesStayInOrder) {
  std::string input;
  for (int i = 0; i < 20000; ++i) input += (i % 2 ? "awful\n" : "wonderful\n");
  const CliRun r = Score(input);
  ASSERT_EQ(r.status, 0);
  ASSERT_EQ(r.lines.size(), 20000u);
  for (int i = 0; i < 20000; ++i) {
    const double d = std::strtod(r.lines[i].c_str(), nullptr);
    ASSERT_EQ(d > 0, i % 2 == 0) << i;
  }
}

TEST(ScoreCli, ExplainPrintsOneJsonObjectPerLine) {
  const CliRun r = Score("Third time asking, I want to talk to a real person ASAP\nnice \"quoted\" \\ text\n",
                      "--explain");
  ASSERT_EQ(r.status, 0);
  ASSERT_EQ(r.lines.size(), 2u);
  const boost::json::object o = boost::json::parse(r.lines[0]).as_object();
  for (const char* key : {"compound", "pos", "neg", "neu", "frustration", "churn_risk", "wants_human",
                          "urgency", "terms"}) {
    EXPECT_TRUE(o.contains(key)) << key;
  }
  EXPECT_GT(o.at("frustration").to_number<double>(), 0.5);
  EXPECT_GT(o.at("wants_human").to_number<double>(), 0.5);
  EXPECT_GT(o.at("urgency").to_number<double>(), 0.5);
  bool saw_term = false;
  for (const auto& t : o.at("terms").as_array()) {
    const auto& term = t.as_object();
    if (term.at("text").as_string() == "third time" && term.at("signal").as_string() == "frustration") {
      saw_term = true;
    }
  }
  EXPECT_TRUE(saw_term) << r.lines[0];
  EXPECT_NO_THROW(boost::json::parse(r.lines[1]));
}

TEST(ScoreCli, BadLexiconFileFails) {
  const CliRun r = Score("good\n", "--lexicon /nonexistent/lexicon.tsv");
  EXPECT_NE(r.status, 0);
  EXPECT_TRUE(r.lines.empty());
}

}  // namespace
