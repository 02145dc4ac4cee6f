// `deskhook score`: one text per line on stdin, one compound score per line on stdout (the
// sentiment evaluation harness protocol). `--explain` prints one JSON object per line instead,
// with every signal and the terms that moved them. `--lexicon FILE` adds an operator's terms.
//
// Input is read with read(2) in large chunks and output is written once per chunk, so bulk
// scoring is not bound by per-line IO while interactive use still answers line by line.
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "host/cli/command.h"
#include "sentiment/sentiment.h"

namespace deskhook::cli {
namespace {

bool WriteAll(const std::string& out) {
  size_t off = 0;
  while (off < out.size()) {
    const ssize_t w = ::write(STDOUT_FILENO, out.data() + off, out.size() - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    off += static_cast<size_t>(w);
  }
  return true;
}

double Round(double v, double scale) { return static_cast<double>(static_cast<long long>(v * scale + (v < 0 ? -0.5 : 0.5))) / scale; }

void AppendCompound(double c, std::string* out) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof(buf), c, std::chars_format::fixed, 4);
  out->append(buf, r.ptr);
  out->push_back('\n');
}

void AppendExplain(const sentiment::Scorer& scorer, std::string_view text, std::string* out) {
  const sentiment::MessageScore s = scorer.Score(text);
  boost::json::object o;
  o["compound"] = Round(s.compound, 1e4);
  o["pos"] = Round(s.pos, 1e3);
  o["neg"] = Round(s.neg, 1e3);
  o["neu"] = Round(s.neu, 1e3);
  o["frustration"] = Round(s.frustration, 1e3);
  o["churn_risk"] = Round(s.churn_risk, 1e3);
  o["wants_human"] = Round(s.wants_human, 1e3);
  o["urgency"] = Round(s.urgency, 1e3);
  boost::json::array terms;
  for (const auto& t : s.terms) {
    terms.push_back(boost::json::object{
        {"text", t.text}, {"weight", Round(t.weight, 1e3)}, {"signal", t.signal}});
  }
  o["terms"] = std::move(terms);
  out->append(boost::json::serialize(o));
  out->push_back('\n');
}

int Score(const std::vector<std::string>& args) {
  sentiment::Options options;
  options.extra_lexicon_path = Flag(args, "lexicon");
  std::string error;
  const auto scorer = sentiment::Scorer::Create(options, &error);
  if (!scorer) {
    std::fprintf(stderr, "deskhook score: %s\n", error.c_str());
    return 1;
  }
  const bool explain = HasFlag(args, "explain");
  std::vector<char> in(1 << 16);
  size_t have = 0;  // bytes of an unfinished line kept at the front of `in`
  std::string out;
  auto emit = [&](std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (explain) AppendExplain(*scorer, line, &out);
    else AppendCompound(scorer->Compound(line), &out);
  };
  for (;;) {
    if (have == in.size()) in.resize(in.size() * 2);  // a line longer than the buffer
    const ssize_t r = ::read(STDIN_FILENO, in.data() + have, in.size() - have);
    if (r < 0) {
      if (errno == EINTR) continue;
      std::fprintf(stderr, "deskhook score: reading stdin: %s\n", std::strerror(errno));
      return 1;
    }
    if (r == 0) break;
    const size_t end = have + static_cast<size_t>(r);
    size_t start = 0;
    for (;;) {
      const void* nl = std::memchr(in.data() + start, '\n', end - start);
      if (!nl) break;
      const size_t pos = static_cast<const char*>(nl) - in.data();
      emit(std::string_view(in.data() + start, pos - start));
      start = pos + 1;
    }
    std::memmove(in.data(), in.data() + start, end - start);
    have = end - start;
    if (!out.empty()) {
      if (!WriteAll(out)) return 1;
      out.clear();
    }
  }
  if (have > 0) emit(std::string_view(in.data(), have));  // last line without '\n'
  if (!out.empty() && !WriteAll(out)) return 1;
  return 0;
}

}  // namespace

DESKHOOK_COMMAND("score", "score [--explain] [--lexicon FILE]",
                 "score sentiment of stdin lines (one compound per line, or JSON)", Score);

}  // namespace deskhook::cli
