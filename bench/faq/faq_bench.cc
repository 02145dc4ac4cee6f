// faq_bench: cost per incoming question with a full window, and memory per stored question.
// usage: faq_bench [CSV_OR_TEXT_FILE] [--window N] [--measure M]
// Fills the window with N questions (default 100,000) made by perturbing real questions read from
// the file (banking77 train.csv: the text column; else one question per line) or, without a file,
// synthetic ones; then times M more Add() calls (each also evicting one old question) and prints
// median / p99 / mean microseconds per question and index bytes per stored question.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "host/faq/question_index.h"

namespace {

std::vector<std::string> ReadQuestions(const char* path) {
  std::vector<std::string> out;
  std::ifstream f(path);
  std::string line;
  bool csv = std::string(path).size() > 4 && std::string(path).substr(std::string(path).size() - 4) == ".csv";
  bool first = true;
  while (std::getline(f, line)) {
    if (csv) {
      if (first) { first = false; continue; }  // header
      // text,category; the text may be quoted with "" escapes.
      std::string text;
      if (!line.empty() && line[0] == '"') {
        size_t i = 1;
        for (; i < line.size(); ++i) {
          if (line[i] == '"' && i + 1 < line.size() && line[i + 1] == '"') { text += '"'; ++i; }
          else if (line[i] == '"') break;
          else text += line[i];
        }
      } else {
        text = line.substr(0, line.rfind(','));
      }
      out.push_back(text);
    } else if (!line.empty()) {
      out.push_back(line);
    }
  }
  return out;
}

// Perturbs a question: drops a word, swaps two neighbours, or appends a random token.
std::string Perturb(const std::string& q, std::mt19937_64& rng) {
  std::vector<std::string> words;
  size_t start = 0;
  for (size_t i = 0; i <= q.size(); ++i) {
    if (i == q.size() || q[i] == ' ') {
      if (i > start) words.push_back(q.substr(start, i - start));
      start = i + 1;
    }
  }
  if (words.empty()) return q;
  switch (rng() % 3) {
    case 0: if (words.size() > 3) words.erase(words.begin() + rng() % words.size()); break;
    case 1: if (words.size() > 2) { size_t i = rng() % (words.size() - 1); std::swap(words[i], words[i + 1]); } break;
    default: words.push_back("x" + std::to_string(rng() % 50000)); break;
  }
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

std::string Synthetic(std::mt19937_64& rng) {
  static const char* topics[] = {"card", "transfer", "refund", "password", "account", "fee",
                                 "payment", "app", "pin", "limit", "address", "invoice"};
  static const char* verbs[] = {"arrive", "work", "reset", "change", "cancel", "charge",
                                "block", "verify", "update", "close"};
  std::string q = std::string("why does my ") + topics[rng() % 12] + " not " + verbs[rng() % 10];
  q += " w" + std::to_string(rng() % 20000) + " w" + std::to_string(rng() % 20000);
  return q;
}

}  // namespace

int main(int argc, char** argv) {
  const char* path = nullptr;
  size_t window = 100000, measure = 5000;
  bool substitutes = true;  // --no-substitutes: without learned-substitute merging, for comparison
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--window") && i + 1 < argc) window = std::stoul(argv[++i]);
    else if (!std::strcmp(argv[i], "--measure") && i + 1 < argc) measure = std::stoul(argv[++i]);
    else if (!std::strcmp(argv[i], "--no-substitutes")) substitutes = false;
    else path = argv[i];
  }
  std::vector<std::string> base = path ? ReadQuestions(path) : std::vector<std::string>{};
  if (path && base.empty()) {
    std::fprintf(stderr, "faq_bench: no questions in %s\n", path);
    return 2;
  }
  std::mt19937_64 rng(42);
  auto next = [&]() { return base.empty() ? Synthetic(rng) : Perturb(base[rng() % base.size()], rng); };

  deskhook::faq::IndexOptions opt;  // production defaults
  if (!substitutes) opt.substitute_merge_threshold = 2;
  opt.window_ms = static_cast<int64_t>(window);  // one question per ms: the window holds `window`
  deskhook::faq::QuestionIndex index(opt);
  auto fill_start = std::chrono::steady_clock::now();
  int64_t t = 0;
  for (size_t i = 0; i < window; ++i, ++t) index.Add("t" + std::to_string(t), next(), t);
  double fill_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - fill_start).count();

  std::vector<double> us;
  us.reserve(measure);
  for (size_t i = 0; i < measure; ++i, ++t) {
    std::string q = next();
    std::string id = "t" + std::to_string(t);
    auto a = std::chrono::steady_clock::now();
    index.Add(id, q, t);
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - a).count());
  }
  std::sort(us.begin(), us.end());
  double mean = 0;
  for (double u : us) mean += u;
  mean /= us.size();
  size_t bytes = index.MemoryBytes();
  std::printf("source: %s (%zu base questions)\n", path ? path : "synthetic", base.size());
  std::printf("window: %zu questions in %zu groups (fill %.1f s, %.1f us/question)\n",
              index.question_count(), index.group_count(), fill_s, fill_s * 1e6 / window);
  std::printf("per incoming question (n=%zu, window full, incl. evicting one): median %.1f us, "
              "p99 %.1f us, max %.1f us, mean %.1f us\n",
              us.size(), us[us.size() / 2], us[us.size() * 99 / 100], us.back(), mean);
  std::printf("index memory: %.1f MB, %.0f bytes per stored question\n", bytes / 1e6,
              static_cast<double>(bytes) / index.question_count());
  return 0;
}
