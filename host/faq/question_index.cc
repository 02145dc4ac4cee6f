#include "host/faq/question_index.h"

#include <algorithm>
#include <tuple>
#include <cmath>

namespace deskhook::faq {
namespace {
constexpr uint32_t kNoSlot = UINT32_MAX;
}  // namespace

struct QuestionIndex::Impl {
  struct Question {
    std::string ticket_id;
    int64_t time_ms = 0;
    uint64_t group_id = 0;
    std::vector<uint32_t> terms;  // distinct term ids
  };
  struct Group {
    uint64_t id = 0;
    uint32_t size = 0;
    std::vector<std::pair<uint32_t, uint32_t>> terms;  // (term id, members containing it), sorted
    std::vector<uint64_t> members;                       // question sequence numbers, ascending
    double norm = 0;                                     // |centroid| under the IDF of norm_epoch
    int swept_level = -1;  // highest SweepLevel it was swept at (or restored at)
    uint64_t norm_epoch = UINT64_MAX;
  };

  IndexOptions opt;
  const Analyzer* analyzer = nullptr;

  std::unordered_map<std::string, uint32_t> term_ids;
  std::vector<uint32_t> df;
  std::vector<std::vector<uint32_t>> postings;  // term id -> group slots containing it
  uint64_t live = 0;                             // questions in the window (N for the IDF)

  std::deque<Question> questions;  // arrival order; seq = first_seq + position
  uint64_t first_seq = 0;

  std::vector<Group> slots;
  std::vector<char> sweep_mark;  // slot -> already a candidate of the running sweep
  struct WeightedTerm {
    uint32_t term;
    double weight;
  };
  // Scratch buffers of Add and OpeningTerms, kept to spare allocations per question.
  std::vector<std::tuple<size_t, uint32_t, double>> by_len_scratch;  // (posting length, term, weight)
  std::vector<WeightedTerm> weighted_scratch;
  std::vector<uint32_t> ordered_scratch;
  std::vector<uint32_t> free_slots;
  std::unordered_map<uint64_t, uint32_t> slot_of;     // live group id -> slot
  std::unordered_map<uint64_t, uint64_t> merged_into;  // merged-away id -> id it went into
  uint64_t next_group_id = 1;

  // IDF epoch: norms are recomputed lazily after N moved by more than 5%.
  uint64_t epoch = 0;
  uint64_t epoch_n = 0;

  // Word contexts for learned substitutes: for each word, how often each other word stood
  // immediately left/right of it (from the bigram terms of the questions in the window).
  std::vector<std::pair<uint32_t, uint32_t>> parts;  // bigram term -> (left, right); word -> kNoSlot
  std::vector<std::vector<std::pair<uint32_t, uint32_t>>> contexts;  // word -> (key, count), sorted
  std::vector<uint32_t> as_left, as_right;  // times a word is the left/right part of a bigram
  uint64_t context_total = 0;

  std::vector<double> acc;  // per-slot accumulator, kept zeroed between queries
  std::vector<uint32_t> touched;

  double Idf(uint32_t t) const {
    // Smoothed with `idf_prior_docs` pseudo-questions that contain no term: with few questions
    // in the window every term would otherwise look common and overlap would count for little.
    double n = static_cast<double>(live) + opt.idf_prior_docs, d = static_cast<double>(df[t]);
    return std::log((n + 1.0) / (d + 1.0));
  }

  void MaybeBumpEpoch() {
    double n = static_cast<double>(live), e = static_cast<double>(epoch_n);
    if (std::fabs(n - e) > 0.05 * std::max(e, 20.0)) {
      ++epoch;
      epoch_n = live;
    }
  }

  double Norm(Group& g) {
    if (g.norm_epoch != epoch) {
      double s = 0;
      for (auto [t, c] : g.terms) {
        double w = static_cast<double>(c) / g.size * Idf(t);
        s += w * w;
      }
      g.norm = std::sqrt(s);
      g.norm_epoch = epoch;
    }
    return g.norm;
  }

  static uint32_t CountOf(const Group& g, uint32_t t) {
    auto it = std::lower_bound(g.terms.begin(), g.terms.end(), std::make_pair(t, 0u));
    return (it != g.terms.end() && it->first == t) ? it->second : 0;
  }

  // New term id for `term`; a bigram "a_b" also interns its words and records them as its parts.
  uint32_t Intern(const std::string& term) {
    std::pair<uint32_t, uint32_t> p{kNoSlot, kNoSlot};
    if (size_t u = term.find('_'); u != std::string::npos) {
      auto word = [&](std::string w) {
        auto it = term_ids.find(w);
        if (it != term_ids.end()) return it->second;
        uint32_t id = Intern(w);
        term_ids.emplace(std::move(w), id);
        return id;
      };
      p.first = word(term.substr(0, u));
      p.second = word(term.substr(u + 1));
    }
    uint32_t id = static_cast<uint32_t>(df.size());
    df.push_back(0);
    postings.emplace_back();
    parts.push_back(p);
    contexts.emplace_back();
    as_left.push_back(0);
    as_right.push_back(0);
    return id;
  }

  static void Bump(std::vector<std::pair<uint32_t, uint32_t>>& v, uint32_t key, int delta) {
    auto it = std::lower_bound(v.begin(), v.end(), std::make_pair(key, 0u));
    if (it == v.end() || it->first != key) it = v.insert(it, {key, 0u});
    it->second += delta;
    if (it->second == 0) v.erase(it);
  }

  void CountContexts(const std::vector<uint32_t>& terms, int delta) {
    for (uint32_t t : terms) {
      auto [a, b] = parts[t];
      if (a == kNoSlot) continue;
      Bump(contexts[a], b << 1 | 1, delta);
      Bump(contexts[b], a << 1, delta);
      as_left[a] += delta;
      as_right[b] += delta;
      context_total += 2 * static_cast<int64_t>(delta);
    }
  }

  struct ContextVec {
    std::vector<std::pair<uint32_t, double>> v;
    double norm = 0;
  };
  // PPMI vector of a word's contexts, sorted by key: pmi = log(n(w,c) N / (n(w) n(c))), kept > 0.
  ContextVec ContextVector(uint32_t w) const {
    ContextVec out;
    auto& v = out.v;
    double nw = static_cast<double>(as_left[w]) + as_right[w], s = 0;
    for (auto [key, count] : contexts[w]) {
      uint32_t x = key >> 1;
      double nc = (key & 1) ? as_right[x] : as_left[x];
      double pmi = std::log(static_cast<double>(count) * context_total / (nw * nc));
      if (pmi <= 0) continue;
      v.emplace_back(key, pmi);
      s += pmi * pmi;
    }
    out.norm = std::sqrt(s);
    return out;
  }

  // Distributional similarity: words used between the same neighbours are substitutes.
  static double Similarity(const ContextVec& a, const ContextVec& b) {
    double dot = 0;
    for (size_t i = 0, j = 0; i < a.v.size() && j < b.v.size();) {
      if (a.v[i].first < b.v[j].first) {
        ++i;
      } else if (b.v[j].first < a.v[i].first) {
        ++j;
      } else {
        dot += a.v[i++].second * b.v[j++].second;
      }
    }
    return (a.norm > 0 && b.norm > 0) ? dot / (a.norm * b.norm) : 0;
  }

  // Words (not bigrams) held by at least half of a's members and by fewer than a tenth of b's.
  std::vector<uint32_t> Distinctive(const Group& a, const Group& b) const {
    std::vector<uint32_t> out;
    for (auto [t, c] : a.terms) {
      if (parts[t].first != kNoSlot || 2 * c < a.size) continue;
      if (10 * CountOf(b, t) < b.size) out.push_back(t);
    }
    return out;
  }

  // True when each word distinctive of one group has a substitute among the words distinctive of
  // the other. A group with distinctive words facing one without is a more specific question
  // ("close my savings account" vs "close my account"), not the same one: false.
  bool DifferOnlyBySubstitutes(const Group& a, const Group& b) const {
    auto da = Distinctive(a, b), db = Distinctive(b, a);
    if (da.empty() != db.empty()) return false;
    std::vector<ContextVec> va, vb;
    for (uint32_t w : da) va.push_back(ContextVector(w));
    for (uint32_t w : db) vb.push_back(ContextVector(w));
    std::vector<double> best_a(va.size(), 0), best_b(vb.size(), 0);
    for (size_t i = 0; i < va.size(); ++i) {
      for (size_t j = 0; j < vb.size(); ++j) {
        double sim = Similarity(va[i], vb[j]);
        best_a[i] = std::max(best_a[i], sim);
        best_b[j] = std::max(best_b[j], sim);
      }
    }
    auto all_matched = [&](const std::vector<double>& best) {
      return std::all_of(best.begin(), best.end(),
                         [&](double x) { return x >= opt.substitute_similarity; });
    };
    return all_matched(best_a) && all_matched(best_b);
  }

  std::vector<uint32_t> TermIds(std::string_view text, bool create) {
    std::vector<uint32_t> ids;
    for (const std::string& term : analyzer->Analyze(text)) {
      auto it = term_ids.find(term);
      if (it == term_ids.end()) {
        if (!create) continue;
        uint32_t id = Intern(term);
        it = term_ids.emplace(term, id).first;
      }
      ids.push_back(it->second);
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return ids;
  }

  uint32_t NewGroup(uint64_t id) {
    uint32_t slot;
    if (!free_slots.empty()) {
      slot = free_slots.back();
      free_slots.pop_back();
      slots[slot] = Group{};
    } else {
      slot = static_cast<uint32_t>(slots.size());
      slots.emplace_back();
      acc.push_back(0);
    }
    slots[slot].id = id;
    slot_of[id] = slot;
    return slot;
  }

  // Adds `terms` (sorted) to a group's counts and postings.
  void AddTerms(uint32_t slot, const std::vector<uint32_t>& terms, uint32_t times = 1) {
    Group& g = slots[slot];
    std::vector<std::pair<uint32_t, uint32_t>> merged;
    merged.reserve(g.terms.size() + terms.size());
    size_t i = 0, j = 0;
    while (i < g.terms.size() || j < terms.size()) {
      if (j == terms.size() || (i < g.terms.size() && g.terms[i].first < terms[j])) {
        merged.push_back(g.terms[i++]);
      } else if (i == g.terms.size() || terms[j] < g.terms[i].first) {
        merged.emplace_back(terms[j], times);
        postings[terms[j]].push_back(slot);
        ++j;
      } else {
        merged.emplace_back(g.terms[i].first, g.terms[i].second + times);
        ++i;
        ++j;
      }
    }
    g.terms = std::move(merged);
    g.norm_epoch = UINT64_MAX;
  }

  void RemovePosting(uint32_t term, uint32_t slot) {
    auto& p = postings[term];
    auto it = std::find(p.begin(), p.end(), slot);
    if (it != p.end()) {
      *it = p.back();
      p.pop_back();
    }
  }

  void Place(Question& q, uint64_t seq, uint32_t slot) {
    Group& g = slots[slot];
    g.size += 1;
    g.members.push_back(seq);
    q.group_id = g.id;
    AddTerms(slot, q.terms);
  }

  void AppendQuestion(Question q) {
    for (uint32_t t : q.terms) ++df[t];
    CountContexts(q.terms, +1);
    ++live;
    questions.push_back(std::move(q));
    MaybeBumpEpoch();
  }

  // Only the question's best-scoring groups are merge candidates above, so two wordings of one
  // question whose groups never score for the same question are never compared (on banking77, 37
  // of 41 same-question pairs of draft-sized groups). When a group reaches merge_min_size, and
  // each time it doubles, it is compared with every group of that size in the window, under the
  // strictest form of the substitute rule: neither group has a core word (held by half of its
  // members) that the other lacks, and their centroids reach substitute_merge_threshold. A plain
  // cosine is not enough across the whole window: 0.4-0.6 is common between different questions
  // on one topic ("virtual card not working" / "get a virtual card"). Returns the group's slot.
  // -1 below merge_min_size, then k for a size of at least merge_min_size * 2^k.
  int SweepLevel(uint32_t size) const {
    int k = -1;
    for (uint64_t m = static_cast<uint64_t>(opt.merge_min_size); m <= size; m *= 2) ++k;
    return k;
  }

  uint32_t SweepSameCoreWords(uint32_t slot, SimilarResult& result) {
    if (opt.substitute_merge_threshold > 1) return slot;
    const uint32_t min_size = static_cast<uint32_t>(opt.merge_min_size);
    // Once per level: a group that shrinks (eviction) and regrows is not swept again at a level it
    // was swept at.
    const int level = SweepLevel(slots[slot].size);
    if (level <= slots[slot].swept_level) return slot;
    slots[slot].swept_level = level;
    if (sweep_mark.size() < slots.size()) sweep_mark.resize(slots.size(), 0);
    for (uint32_t other : SweepCandidates(slot, opt.substitute_merge_threshold)) {
      if (other == slot || slots[other].size < min_size) continue;  // merged meanwhile
      if (CentroidCosine(slots[slot], slots[other]) < opt.substitute_merge_threshold) continue;
      if (!Distinctive(slots[slot], slots[other]).empty() ||
          !Distinctive(slots[other], slots[slot]).empty()) {
        continue;
      }
      uint32_t into = slots[other].size > slots[slot].size ? other : slot;
      uint32_t from = into == slot ? other : slot;
      result.merges.emplace_back(slots[from].id, slots[into].id);
      Merge(from, into);
      slot = into;
    }
    return slot;
  }

  // Orders a vector's terms (question or centroid) by posting-list length into *ordered and
  // returns how many of the first must open candidates to find every group that may reach
  // `min_cosine` with it. The terms with the longest lists are left out while their share of the
  // vector's norm stays below min_cosine: a group found through them alone has a cosine below it
  // (Cauchy-Schwarz), so they only add to groups found through the others.
  size_t OpeningTerms(const std::vector<WeightedTerm>& terms, double min_cosine,
                      std::vector<uint32_t>* ordered) {
    auto& by_len = by_len_scratch;
    by_len.clear();
    double norm2 = 0;
    for (const WeightedTerm& t : terms) {
      norm2 += t.weight * t.weight;
      by_len.emplace_back(postings[t.term].size(), t.term, t.weight);
    }
    std::sort(by_len.begin(), by_len.end());
    size_t opening = by_len.size();
    for (double tail = 0; opening > 1;) {
      double w = std::get<2>(by_len[opening - 1]);
      if (tail + w * w >= min_cosine * min_cosine * norm2) break;
      tail += w * w;
      --opening;
    }
    ordered->clear();
    for (const auto& [len, t, w] : by_len) ordered->push_back(t);
    return opening;
  }

  // Groups of merge_min_size or more that may reach `min_cosine` with the group in `slot`, in slot
  // order, through the inverted index (OpeningTerms of its centroid).
  std::vector<uint32_t> SweepCandidates(uint32_t slot, double min_cosine) {
    const Group& g = slots[slot];
    std::vector<WeightedTerm> terms;
    for (auto [t, count] : g.terms) terms.push_back({t, Idf(t) * count / g.size});
    std::vector<uint32_t> ordered;
    const size_t opening = OpeningTerms(terms, min_cosine, &ordered);
    std::vector<uint32_t> out;
    for (size_t i = 0; i < opening; ++i) {
      for (uint32_t other : postings[ordered[i]]) {
        if (other == slot || sweep_mark[other] ||
            slots[other].size < static_cast<uint32_t>(opt.merge_min_size)) {
          continue;
        }
        sweep_mark[other] = 1;
        out.push_back(other);
      }
    }
    for (uint32_t other : out) sweep_mark[other] = 0;
    std::sort(out.begin(), out.end());
    return out;
  }

  double CentroidCosine(Group& a, Group& b) {
    double dot = 0;
    size_t i = 0, j = 0;
    while (i < a.terms.size() && j < b.terms.size()) {
      if (a.terms[i].first < b.terms[j].first) {
        ++i;
      } else if (b.terms[j].first < a.terms[i].first) {
        ++j;
      } else {
        double w = Idf(a.terms[i].first);
        dot += static_cast<double>(a.terms[i].second) / a.size * b.terms[j].second / b.size * w * w;
        ++i;
        ++j;
      }
    }
    double na = Norm(a), nb = Norm(b);
    return (na > 0 && nb > 0) ? dot / (na * nb) : 0;
  }

  // Merges group `from` into group `into` (slots). Keeps member order ascending.
  void Merge(uint32_t from, uint32_t into) {
    Group& src = slots[from];
    for (auto [t, c] : src.terms) RemovePosting(t, from);
    Group& dst = slots[into];
    for (auto [t, c] : src.terms) {
      std::vector<uint32_t> one{t};
      AddTerms(into, one, c);
    }
    for (uint64_t seq : src.members) questions[seq - first_seq].group_id = dst.id;
    std::vector<uint64_t> members;
    members.reserve(dst.members.size() + src.members.size());
    std::merge(dst.members.begin(), dst.members.end(), src.members.begin(), src.members.end(),
               std::back_inserter(members));
    dst.members = std::move(members);
    dst.size += src.size;
    merged_into[src.id] = dst.id;
    slot_of.erase(src.id);
    src = Group{};
    free_slots.push_back(from);
  }

  void RemoveFromGroup(const Question& q, uint64_t seq) {
    auto it = slot_of.find(q.group_id);
    if (it == slot_of.end()) return;
    uint32_t slot = it->second;
    Group& g = slots[slot];
    auto m = std::lower_bound(g.members.begin(), g.members.end(), seq);
    if (m != g.members.end() && *m == seq) g.members.erase(m);
    g.size -= 1;
    for (uint32_t t : q.terms) {
      auto ti = std::lower_bound(g.terms.begin(), g.terms.end(), std::make_pair(t, 0u));
      if (ti == g.terms.end() || ti->first != t) continue;
      if (--ti->second == 0) {
        g.terms.erase(ti);
        RemovePosting(t, slot);
      }
    }
    g.norm_epoch = UINT64_MAX;
    if (g.size == 0) {
      slot_of.erase(g.id);
      g = Group{};
      free_slots.push_back(slot);
    }
  }
};

QuestionIndex::QuestionIndex(IndexOptions options, std::shared_ptr<const Analyzer> analyzer)
    : impl_(std::make_unique<Impl>()),
      analyzer_(analyzer ? std::move(analyzer) : std::make_shared<Analyzer>(options.analyzer)) {
  impl_->opt = options;
  impl_->analyzer = analyzer_.get();
}

QuestionIndex::~QuestionIndex() = default;

SimilarResult QuestionIndex::Add(const std::string& ticket_id, std::string_view text,
                                 int64_t time_ms) {
  Impl& s = *impl_;
  Evict(time_ms);
  SimilarResult result;
  Impl::Question q;
  q.ticket_id = ticket_id;
  q.time_ms = time_ms;
  q.terms = s.TermIds(text, /*create=*/true);
  uint64_t seq = s.first_seq + s.questions.size();
  if (q.terms.empty()) {
    s.questions.push_back(std::move(q));  // kept for window bookkeeping only
    return result;
  }

  // Score candidate groups: sum over shared terms of idf^2 * share, divided by the norms.
  // Pruning (exact for every group that could matter): since a centroid is compared by cosine,
  // a group sharing only a set T of the question's terms scores at most |q restricted to T| / |q|.
  // The terms with the longest posting lists whose weight stays below (threshold - join_margin)
  // of the question's therefore only add to groups found through the other terms ("probe"),
  // and never open a candidate: a group found through them alone could be neither joined nor a
  // rival. This keeps "card", "not", "how" from touching most groups of the window.
  auto& weighted = s.weighted_scratch;
  weighted.clear();
  double qnorm2 = 0;
  for (uint32_t t : q.terms) {
    double w = s.Idf(t);
    qnorm2 += w * w;
    weighted.push_back({t, w});
  }
  auto& by_len = s.ordered_scratch;
  const size_t generate =
      s.OpeningTerms(weighted, std::max(0.0, s.opt.threshold - s.opt.join_margin), &by_len);
  for (size_t i = 0; i < generate; ++i) {
    uint32_t t = by_len[i];
    double w = s.Idf(t);
    for (uint32_t slot : s.postings[t]) {
      if (s.acc[slot] == 0) s.touched.push_back(slot);
      const Impl::Group& g = s.slots[slot];
      s.acc[slot] += w * w * Impl::CountOf(g, t) / g.size;
    }
  }
  for (size_t i = generate; i < by_len.size(); ++i) {
    uint32_t t = by_len[i];
    double w = s.Idf(t);
    for (uint32_t slot : s.touched) {
      const Impl::Group& g = s.slots[slot];
      s.acc[slot] += w * w * Impl::CountOf(g, t) / g.size;
    }
  }
  double qnorm = std::sqrt(qnorm2);
  std::vector<std::pair<double, uint32_t>> scored;
  scored.reserve(s.touched.size());
  for (uint32_t slot : s.touched) {
    double norm = s.Norm(s.slots[slot]);
    double cosine = norm > 0 ? s.acc[slot] / (qnorm * norm) : 0;
    scored.emplace_back(cosine, slot);
    s.acc[slot] = 0;
  }
  s.touched.clear();
  size_t keep = std::min<size_t>(scored.size(), std::max(1, s.opt.merge_candidates + 1));
  std::partial_sort(scored.begin(), scored.begin() + keep, scored.end(),
                    [](const auto& a, const auto& b) {
                      return a.first > b.first || (a.first == b.first && a.second < b.second);
                    });
  scored.resize(keep);

  // Join the best group only when it is clearly the best: a question as close to a second group
  // sits between two questions, and putting it in either makes that group less pure (measured on
  // banking77: +2 points purity, fewer groups per question; docs/faq.md).
  bool clear_best = !scored.empty() && scored[0].first >= s.opt.threshold &&
                    (scored.size() < 2 || scored[1].first <= scored[0].first - s.opt.join_margin);
  uint32_t slot;
  if (clear_best) {
    slot = scored[0].second;
  } else {
    slot = s.NewGroup(s.next_group_id++);
    result.new_group = true;
  }
  s.Place(q, seq, slot);
  s.AppendQuestion(std::move(q));

  // Merge the grown group with converging neighbours.
  if (s.slots[slot].size >= static_cast<uint32_t>(s.opt.merge_min_size)) {
    for (const auto& [score, other] : scored) {
      if (other == slot || s.slots[other].size < static_cast<uint32_t>(s.opt.merge_min_size)) {
        continue;
      }
      double cosine = s.CentroidCosine(s.slots[slot], s.slots[other]);
      bool merge = cosine >= s.opt.merge_threshold ||
                   (cosine >= s.opt.substitute_merge_threshold &&
                    s.DifferOnlyBySubstitutes(s.slots[slot], s.slots[other]));
      if (!merge) continue;
      uint32_t into = s.slots[other].size > s.slots[slot].size ? other : slot;
      uint32_t from = into == slot ? other : slot;
      result.merges.emplace_back(s.slots[from].id, s.slots[into].id);
      s.Merge(from, into);
      slot = into;
    }
    slot = s.SweepSameCoreWords(slot, result);
  }

  const Impl::Group& g = s.slots[slot];
  result.group_id = g.id;
  result.count = static_cast<int>(g.size) - 1;
  for (auto it = g.members.rbegin(); it != g.members.rend() && result.examples.size() < 3; ++it) {
    if (*it == seq) continue;
    result.examples.push_back(s.questions[*it - s.first_seq].ticket_id);
  }
  return result;
}

void QuestionIndex::Restore(const std::string& ticket_id, std::string_view text, int64_t time_ms,
                            uint64_t group_id) {
  Impl& s = *impl_;
  Impl::Question q;
  q.ticket_id = ticket_id;
  q.time_ms = time_ms;
  q.terms = s.TermIds(text, true);
  uint64_t seq = s.first_seq + s.questions.size();
  if (q.terms.empty() || group_id == 0) {
    s.questions.push_back(std::move(q));
    return;
  }
  group_id = Resolve(group_id);
  auto it = s.slot_of.find(group_id);
  uint32_t slot = it != s.slot_of.end() ? it->second : s.NewGroup(group_id);
  ReserveGroupIds(group_id);
  s.Place(q, seq, slot);
  // The live index swept this group at each level it reached; so sweeping again is due only
  // above its restored size (apart from a group that had shrunk since, which may sweep once more).
  s.slots[slot].swept_level = std::max(s.slots[slot].swept_level, s.SweepLevel(s.slots[slot].size));
  s.AppendQuestion(std::move(q));
}

void QuestionIndex::ReserveGroupIds(uint64_t id) {
  impl_->next_group_id = std::max(impl_->next_group_id, id + 1);
}

size_t QuestionIndex::Evict(int64_t now_ms) {
  Impl& s = *impl_;
  int64_t cutoff = now_ms - s.opt.window_ms;
  size_t removed = 0;
  while (!s.questions.empty() && s.questions.front().time_ms < cutoff) {
    Impl::Question& q = s.questions.front();
    if (!q.terms.empty()) {
      s.RemoveFromGroup(q, s.first_seq);
      for (uint32_t t : q.terms) --s.df[t];
      s.CountContexts(q.terms, -1);
      --s.live;
    }
    s.questions.pop_front();
    ++s.first_seq;
    ++removed;
  }
  if (removed) s.MaybeBumpEpoch();
  return removed;
}

uint64_t QuestionIndex::Resolve(uint64_t group_id) const {
  for (int hops = 0; hops < 1000; ++hops) {
    auto it = impl_->merged_into.find(group_id);
    if (it == impl_->merged_into.end()) break;
    group_id = it->second;
  }
  return group_id;
}

int QuestionIndex::GroupSize(uint64_t group_id) const {
  auto it = impl_->slot_of.find(Resolve(group_id));
  return it == impl_->slot_of.end() ? 0 : static_cast<int>(impl_->slots[it->second].size);
}

std::vector<std::string> QuestionIndex::CentralMembers(uint64_t group_id, size_t k) const {
  Impl& s = *impl_;
  auto it = s.slot_of.find(Resolve(group_id));
  if (it == s.slot_of.end()) return {};
  Impl::Group& g = s.slots[it->second];
  double gnorm = s.Norm(g);
  std::vector<std::pair<double, uint64_t>> scored;
  for (uint64_t seq : g.members) {
    const Impl::Question& q = s.questions[seq - s.first_seq];
    double dot = 0, qn = 0;
    for (uint32_t t : q.terms) {
      double w = s.Idf(t);
      qn += w * w;
      dot += w * w * Impl::CountOf(g, t) / g.size;
    }
    double cosine = (qn > 0 && gnorm > 0) ? dot / (std::sqrt(qn) * gnorm) : 0;
    scored.emplace_back(-cosine, seq);  // ties: earliest first
  }
  std::sort(scored.begin(), scored.end());
  std::vector<std::string> out;
  for (size_t i = 0; i < scored.size() && i < k; ++i) {
    out.push_back(s.questions[scored[i].second - s.first_seq].ticket_id);
  }
  return out;
}

std::vector<std::string> QuestionIndex::Members(uint64_t group_id) const {
  Impl& s = *impl_;
  auto it = s.slot_of.find(Resolve(group_id));
  if (it == s.slot_of.end()) return {};
  std::vector<std::string> out;
  for (uint64_t seq : s.slots[it->second].members) {
    out.push_back(s.questions[seq - s.first_seq].ticket_id);
  }
  return out;
}

size_t QuestionIndex::question_count() const { return impl_->live; }
size_t QuestionIndex::group_count() const { return impl_->slot_of.size(); }

size_t QuestionIndex::MemoryBytes() const {
  const Impl& s = *impl_;
  size_t bytes = 0;
  for (const auto& q : s.questions) {
    bytes += sizeof(q) + q.terms.capacity() * sizeof(uint32_t);
    if (q.ticket_id.capacity() > 15) bytes += q.ticket_id.capacity() + 1;
  }
  for (const auto& g : s.slots) {
    bytes += sizeof(g) + g.terms.capacity() * sizeof(g.terms[0]) +
             g.members.capacity() * sizeof(uint64_t) + sizeof(double);
  }
  for (const auto& p : s.postings) bytes += sizeof(p) + p.capacity() * sizeof(uint32_t);
  for (const auto& c : s.contexts) bytes += sizeof(c) + c.capacity() * sizeof(c[0]);
  bytes += s.parts.capacity() * sizeof(s.parts[0]) +
           (s.as_left.capacity() + s.as_right.capacity()) * sizeof(uint32_t);
  for (const auto& [term, id] : s.term_ids) bytes += 48 + term.capacity() + sizeof(uint32_t);
  bytes += s.df.capacity() * sizeof(uint32_t);
  bytes += (s.slot_of.size() + s.merged_into.size()) * 40;
  return bytes;
}

}  // namespace deskhook::faq
