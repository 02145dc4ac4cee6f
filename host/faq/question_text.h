// Question text handling for repeated-question grouping: cleaning a customer's first message
// down to the question, and analysing it into index terms (tokens, stop words, a light stemmer,
// optional synonyms, adjacent-word bigrams). Pure functions and an immutable Analyzer: no I/O
// except Analyzer::LoadSynonyms.
//
// Thread-safety: an Analyzer is immutable after construction/loading; Analyze() may be called
// from any number of threads at once.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "connectors/model/status.h"

namespace deskhook::faq {

// The question part of a customer's message: drops quoted replies ("> ..." lines, "On ... wrote:"
// and everything after, "-----Original Message-----"), signatures ("-- " and everything after,
// "Sent from my ..."), a leading greeting ("Hi", "Hello team,", "Good morning support -") and a
// trailing sign-off ("Thanks, John", "Kind regards\nJane Doe"). Collapses whitespace to single
// spaces. Returns "" when nothing is left.
std::string CleanQuestion(std::string_view message);

// English stem of a word: the Snowball English (Porter2) stemmer from libstemmer, so inflections
// and common derivations meet ("cards"/"card", "charged"/"charges", "activation"/"activate").
// Thread-safe (one stemmer per thread). REQUIRES: lower-case word.
std::string Stem(std::string_view word);

struct AnalyzerOptions {
  bool bigrams = true;  // also emit "a_b" for adjacent content words
};

class Analyzer {
 public:
  explicit Analyzer(AnalyzerOptions options = {});

  // Synonyms file: one group per line, comma-separated, first word canonical
  // ("refund, reimbursement, money back"); '#' starts a comment. Multi-word entries are matched
  // as adjacent words. Returns InvalidArgument (and keeps the previous table) on a bad file.
  Status LoadSynonyms(const std::string& path);
  // Same format from a string (tests, config inline).
  Status SetSynonyms(std::string_view text);

  // Distinct index terms of a cleaned question, in first-occurrence order: stemmed content words
  // ("not" for every negation, kept wh-words "how/why/when/where") then bigrams "a_b".
  std::vector<std::string> Analyze(std::string_view text) const;
  // Content words only (no bigrams), in order, with repeats: used for titles/tests.
  std::vector<std::string> Words(std::string_view text) const;

 private:
  AnalyzerOptions options_;
  // word (lower-case, unstemmed) or "w1 w2" -> canonical word
  std::unordered_map<std::string, std::string> synonyms_;
  size_t max_synonym_words_ = 1;
};

}  // namespace deskhook::faq
