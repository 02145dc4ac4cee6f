// `deskhook score`: one text per line on stdin, one compound score per line on stdout (the
// sentiment evaluation harness protocol). `--explain` prints one JSON object per line instead,
// with every signal and the terms that moved them. `--lexicon FILE` adds an operator's terms.
//
// Input is read with read(2) in large chunks and output is written once per chunk, so bulk
// scoring is not bound by per-line IO while interactive use still answers line by line.
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
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

void AppendFixed(double v, int digits, std::string* out) {
  if (!std::isfinite(v)) v = 0;
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed, digits);
  std::string_view text(buf, r.ptr - buf);
  if (text.find_first_not_of("-0.") == std::string_view::npos) text = "0";  // no "-0.0000"
  out->append(text);
}

void AppendCompound(double c, std::string* out) {
  AppendFixed(c, 4, out);
  out->push_back('\n');
}

// JSON string: quotes, backslashes and control characters escaped; the scorer's term texts are
// valid UTF-8 (invalid input bytes become '?'), so other bytes pass through.
void AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(ch);
    } else if (c < 0x20) {
      char esc[8];
      std::snprintf(esc, sizeof(esc), "\\u%04x", c);
      out->append(esc);
    } else {
      out->push_back(ch);
    }
  }
  out->push_back('"');
}

void AppendExplain(const sentiment::Scorer& scorer, std::string_view text, std::string* out) {
  const sentiment::MessageScore s = scorer.Score(text);
  const std::pair<const char*, double> fields[] = {
      {"compound", s.compound},       {"pos", s.pos},
      {"neg", s.neg},                 {"neu", s.neu},
      {"frustration", s.frustration}, {"churn_risk", s.churn_risk},
      {"wants_human", s.wants_human}, {"urgency", s.urgency}};
  out->push_back('{');
  for (const auto& [name, value] : fields) {
    out->push_back('"');
    out->append(name);
    out->append("\":");
    AppendFixed(value, name == std::string_view("compound") ? 4 : 3, out);
    out->push_back(',');
  }
  out->append("\"terms\":[");
  for (size_t i = 0; i < s.terms.size(); ++i) {
    if (i) out->push_back(',');
    out->append("{\"text\":");
    AppendJsonString(s.terms[i].text, out);
    out->append(",\"weight\":");
    AppendFixed(s.terms[i].weight, 3, out);
    out->append(",\"signal\":");
    AppendJsonString(s.terms[i].signal, out);
    out->push_back('}');
  }
  out->append("]}\n");
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
