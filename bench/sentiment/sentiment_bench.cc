// Single-threaded, in-process throughput of the sentiment scorer over a ground-truth file
// (id<TAB>rating<TAB>text per line; default: the dev set in DESKHOOK_SHARED_DIR).
//
//   bench_sentiment [FILE] [--seconds S]
//
// Prints messages/s for Compound() (the hot path) and Score() (signals and terms), best of
// several rounds (the machine is shared and throttled under load: compare figures from one run),
// and the time Scorer::Create() takes (paid once per process).
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "sentiment/sentiment.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// CPU time of this thread: on a loaded machine wall time mostly measures the other processes.
double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct Rate {
  double wall = 0;  // messages per wall-clock second
  double cpu = 0;   // messages per CPU second of this thread
};

template <class F>
Rate BestRate(const std::vector<std::string>& texts, double seconds, int rounds, F&& fn) {
  Rate best;
  for (int r = 0; r < rounds; ++r) {
    size_t done = 0;
    const auto t0 = Clock::now();
    const double c0 = ThreadCpuSeconds();
    double el = 0;
    do {
      for (const auto& t : texts) fn(t);
      done += texts.size();
      el = Seconds(t0, Clock::now());
    } while (el < seconds / rounds);
    best.wall = std::max(best.wall, done / el);
    best.cpu = std::max(best.cpu, done / (ThreadCpuSeconds() - c0));
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  std::string path = std::string(DESKHOOK_SHARED_DIR) + "/data/sentiment/tweets_GroundTruth.txt";
  double seconds = 3;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) seconds = std::atof(argv[++i]);
    else path = argv[i];
  }
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "bench_sentiment: cannot read %s\n", path.c_str());
    return 1;
  }
  std::vector<std::string> texts;
  size_t bytes = 0;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const size_t t1 = line.find('\t'), t2 = t1 == std::string::npos ? t1 : line.find('\t', t1 + 1);
    texts.push_back(t2 == std::string::npos ? line : line.substr(t2 + 1));
    bytes += texts.back().size();
  }
  if (texts.empty()) {
    std::fprintf(stderr, "bench_sentiment: no texts in %s\n", path.c_str());
    return 1;
  }

  std::string error;
  const auto c0 = Clock::now();
  auto scorer = deskhook::sentiment::Scorer::Create({}, &error);
  const auto c1 = Clock::now();
  if (!scorer) {
    std::fprintf(stderr, "bench_sentiment: %s\n", error.c_str());
    return 1;
  }
  volatile double sink = 0;
  const Rate compound = BestRate(texts, seconds, 5, [&](const std::string& t) {
    sink = sink + scorer->Compound(t);
  });
  const Rate full = BestRate(texts, seconds / 2, 3, [&](const std::string& t) {
    sink = sink + scorer->Score(t).compound;
  });
  std::printf("file            %s (%zu messages, %.1f bytes/message)\n", path.c_str(), texts.size(),
              static_cast<double>(bytes) / texts.size());
  std::printf("Scorer::Create  %.2f ms\n", Seconds(c0, c1) * 1e3);
  std::printf("Compound()      %.0f messages/s per CPU-second (%.0f ns/message, %.1f MB/s); "
              "%.0f messages/s wall clock\n",
              compound.cpu, 1e9 / compound.cpu, compound.cpu * bytes / texts.size() / 1e6,
              compound.wall);
  std::printf("Score()         %.0f messages/s per CPU-second (%.0f ns/message); %.0f messages/s "
              "wall clock\n", full.cpu, 1e9 / full.cpu, full.wall);
  double load = 0;
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf", &load) != 1) load = 0;
    std::fclose(f);
  }
  std::printf("loadavg(1m)     %.2f (wall-clock figures are only comparable on a quiet machine)\n", load);
  return 0;
}
