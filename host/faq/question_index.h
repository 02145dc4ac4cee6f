// QuestionIndex: incremental grouping of repeated customer questions over a time window.
//
// Method (defended in docs/faq.md): each question becomes a set of terms (Analyzer: stemmed
// content words + adjacent-word bigrams). Terms are weighted by an IDF that is updated online
// from the questions currently in the window. A group is represented by its centroid: for every
// term, the share of members containing it, times the term's current IDF. A new question joins
// the group whose centroid is most similar (cosine) if that similarity reaches `threshold` and no
// other group comes within `join_margin` of it; otherwise it starts a new group. After a join, the grown group is compared centroid-to-centroid
// with the other groups that scored best for the question; two groups of at least
// `merge_min_size` members whose centroids reach `merge_threshold` are merged (the larger keeps
// its id); they also merge at `substitute_merge_threshold` when the words that tell them apart
// are learned substitutes ("close"/"shut" seen between the same neighbours in the window).
// When a group reaches `merge_min_size`, and each time it doubles, it is also compared with every
// group of that size in the window, and merges with those sharing all its core words (words held
// by half of the members) at `substitute_merge_threshold`. Candidate groups come from an inverted
// index term -> groups, so the cost of a question is proportional to the posting lists of its few
// terms, not to the window size.
// The question's most common terms only add to candidates found through its other terms when
// they could not, alone, make a group joinable or a rival (an exact bound; docs/faq.md).
//
// Questions older than the window are evicted (Evict), which updates document frequencies,
// centroids and posting lists. Group ids are never reused; a merged-away id resolves to the id it
// was merged into.
//
// Thread-safety: none; the owner (FaqService, the CLI) serialises calls.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "host/faq/question_text.h"

namespace deskhook::faq {

struct IndexOptions {
  double threshold = 0.7;         // cosine(question, group centroid) needed to join a group
  // Ambiguity margin: when another group scores within join_margin of the best one, the question
  // is not sure to be about either; it starts its own group instead of diluting one of them.
  double join_margin = 0.15;
  double merge_threshold = 0.4;   // cosine(centroid, centroid) needed to merge two groups
  // Learned substitutes: two groups of >= merge_min_size also merge at this lower cosine when
  // they differ only by words that are substitutes of each other (each word held by most members
  // of one group and few of the other has such a word on the other side). > 1 disables.
  // Also the cosine for the core-word sweep over all groups of merge_min_size.
  double substitute_merge_threshold = 0.2;
  // Two words are substitutes when the cosine of their PPMI vectors over immediate left/right
  // neighbours, counted online over the questions in the window, reaches this.
  double substitute_similarity = 0.15;
  int merge_min_size = 5;         // both groups need this many members to be merged
  int merge_candidates = 8;       // best-scoring groups of a question that are checked for merging
  int64_t window_ms = 30LL * 24 * 3600 * 1000;
  double idf_prior_docs = 100;    // IDF smoothing: pseudo-questions containing no term
  AnalyzerOptions analyzer;
};

struct SimilarResult {
  uint64_t group_id = 0;                  // 0 when the text had no index terms (not grouped)
  int count = 0;                          // other questions of the group in the window
  std::vector<std::string> examples;      // up to 3 earlier ticket ids of the group, newest first
  bool new_group = false;                 // this question started the group
  std::vector<std::pair<uint64_t, uint64_t>> merges;  // (merged-away id, surviving id)
};

class QuestionIndex {
 public:
  // `analyzer` may be null: a default Analyzer with options.analyzer is used.
  explicit QuestionIndex(IndexOptions options, std::shared_ptr<const Analyzer> analyzer = nullptr);
  ~QuestionIndex();
  QuestionIndex(const QuestionIndex&) = delete;
  QuestionIndex& operator=(const QuestionIndex&) = delete;

  // Adds a cleaned question (see CleanQuestion). Evicts questions older than time_ms - window
  // first. Questions are expected in roughly increasing time_ms; eviction pops from the oldest
  // arrival, so a late out-of-order question is evicted with its arrival neighbours.
  SimilarResult Add(const std::string& ticket_id, std::string_view text, int64_t time_ms);

  // Rebuild: re-adds a question with its persisted group id, without searching or merging.
  // REQUIRES: calls in the original arrival order; group ids as returned earlier (resolved).
  void Restore(const std::string& ticket_id, std::string_view text, int64_t time_ms,
               uint64_t group_id);
  // Ensures new groups get ids > `id` (ids of groups that no longer have members are not reused).
  void ReserveGroupIds(uint64_t id);

  // Removes questions with time_ms < now_ms - window. Returns how many were removed.
  size_t Evict(int64_t now_ms);

  // The id a (possibly merged-away) group id now stands for.
  uint64_t Resolve(uint64_t group_id) const;
  // Members of a group in the window (0 for an unknown/empty group).
  int GroupSize(uint64_t group_id) const;
  // Up to `k` member ticket ids ordered by similarity to the group centroid (most central first).
  std::vector<std::string> CentralMembers(uint64_t group_id, size_t k) const;
  // All member ticket ids in arrival order.
  std::vector<std::string> Members(uint64_t group_id) const;

  size_t question_count() const;
  size_t group_count() const;
  // Approximate heap bytes held by the index (questions, groups, postings, dictionary).
  size_t MemoryBytes() const;
  const Analyzer& analyzer() const { return *analyzer_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::shared_ptr<const Analyzer> analyzer_;
};

}  // namespace deskhook::faq
