// deskhook group-questions: groups questions read one per line from stdin, for evaluation.
// Prints one group id per input line, in input order, after the last line: each question's group
// as it stands at the end (groups merged along the way share the surviving id). With --stream the
// id is printed as each line is read (before later merges). Lines without index terms get a
// unique id "u<line>". All questions are given the same timestamp (no window eviction).
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "host/cli/command.h"
#include "host/faq/question_index.h"
#include "host/faq/question_text.h"

namespace deskhook::cli {
namespace {

bool ParseDouble(const std::string& s, double* out) {
  try {
    size_t used = 0;
    *out = std::stod(s, &used);
    return used == s.size();
  } catch (...) {
    return false;
  }
}

int GroupQuestions(const std::vector<std::string>& args) {
  faq::IndexOptions options;
  struct NumFlag {
    const char* name;
    double* value;
  };
  double merge_min = options.merge_min_size, candidates = options.merge_candidates;
  for (NumFlag f : {NumFlag{"threshold", &options.threshold},
                    NumFlag{"join-margin", &options.join_margin},
                    NumFlag{"merge-threshold", &options.merge_threshold},
                    NumFlag{"substitute-merge-threshold", &options.substitute_merge_threshold},
                    NumFlag{"substitute-similarity", &options.substitute_similarity},
                    NumFlag{"merge-min-size", &merge_min}, NumFlag{"merge-candidates", &candidates}}) {
    if (!HasFlag(args, f.name)) continue;
    std::string v = Flag(args, f.name);
    if (!ParseDouble(v, f.value) || *f.value < 0) {
      std::fprintf(stderr, "group-questions: --%s needs a non-negative number, got '%s'\n", f.name,
                   v.c_str());
      return 2;
    }
  }
  if (options.threshold > 1 || options.merge_threshold > 1 || options.join_margin > 1 ||
      options.substitute_merge_threshold > 1 || options.substitute_similarity > 1) {
    std::fprintf(stderr, "group-questions: thresholds and the margin are cosines in [0, 1]\n");
    return 2;
  }
  options.merge_min_size = static_cast<int>(merge_min);
  options.merge_candidates = static_cast<int>(candidates);
  options.analyzer.bigrams = !HasFlag(args, "no-bigrams");
  if (HasFlag(args, "no-substitutes")) options.substitute_merge_threshold = 2;
  auto analyzer = std::make_shared<faq::Analyzer>(options.analyzer);
  if (std::string syn = Flag(args, "synonyms"); !syn.empty()) {
    Status st = analyzer->LoadSynonyms(syn);
    if (!st.ok()) {
      std::fprintf(stderr, "group-questions: %s\n", st.ToString().c_str());
      return 2;
    }
  }
  const bool stream = HasFlag(args, "stream");
  faq::QuestionIndex index(options, analyzer);
  std::vector<uint64_t> ids;
  std::string line;
  size_t n = 0;
  while (std::getline(std::cin, line)) {
    ++n;
    faq::SimilarResult r = index.Add(std::to_string(n), faq::CleanQuestion(line), 0);
    if (stream) {
      if (r.group_id == 0) {
        std::printf("u%zu\n", n);
      } else {
        std::printf("%llu\n", static_cast<unsigned long long>(r.group_id));
      }
      std::fflush(stdout);
    }
    ids.push_back(r.group_id);
  }
  if (!stream) {
    for (size_t i = 0; i < ids.size(); ++i) {
      if (ids[i] == 0) {
        std::printf("u%zu\n", i + 1);
      } else {
        std::printf("%llu\n", static_cast<unsigned long long>(index.Resolve(ids[i])));
      }
    }
  }
  return 0;
}

}  // namespace

DESKHOOK_COMMAND("group-questions",
                 "group-questions [--threshold X] [--join-margin X] [--no-substitutes] [--stream] "
                 "[--synonyms FILE]",
                 "group questions (one per line on stdin) -> one group id per line", GroupQuestions);

}  // namespace deskhook::cli
