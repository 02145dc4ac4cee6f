// VADER's rules (Hutto & Gilbert 2014) over deskhook's tokens, with these changes:
// multi-word lexicon entries and idioms match as phrases; negation and boosters do not reach
// across clause punctuation; "but" acts within its sentence (or on the previous one when it opens
// a sentence); concessive "although" discounts its own clause; words that are both sentiment
// words and modifiers ("pretty", "no", "super") act as modifiers before a sentiment word.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "sentiment/valence.h"

namespace deskhook::sentiment {
namespace {

constexpr uint16_t kModifierFlags =
    Entry::kBooster | Entry::kNegator | Entry::kContrast | Entry::kConcession;
constexpr uint16_t kValenceRuleFlags = Entry::kValence | kModifierFlags;

inline bool Is(const Token& t, std::string_view w) { return t.view() == w; }


// Longest phrase with a valence-pass rule starting at token i; sets rule/span/consumed.
// Returns the number of tokens it consumed after i.
size_t MatchPhrase(const Lexicon& lex, TokenizedText& tt, size_t i) {
  Token& t = tt.tokens[i];
  size_t words = 0;
  const Entry* e = LongestPhrase(lex, tt, i, [](const Entry* x) { return (x->flags & kValenceRuleFlags) != 0; }, &words);
  if (!e) return 0;
  t.rule = e;
  t.span = static_cast<uint8_t>(words);
  for (size_t k = i + 1; k < i + words; ++k) tt.tokens[k].consumed = true;
  return words - 1;
}

// The next token's rule, if it is in the same clause.
inline const Entry* NextRule(const TokenizedText& tt, size_t i) {
  const Token& t = tt.tokens[i];
  const size_t next = i + t.span;
  if (next >= tt.count || (tt.tokens[next - 1].flags & Token::kClauseEnd)) return nullptr;
  return tt.tokens[next].rule;
}
inline bool HasValence(const Entry* e) {
  return e && (e->flags & Entry::kValence) && e->valence != 0;
}

// "like" carries sentiment as a verb ("I like it", "we really like", "don't like"), not as a
// preposition, comparison or quotative ("looks like rain", "it was like 5pm", "like a boss"),
// nor in a request ("I would like a refund").
bool LikeIsVerb(const TokenizedText& tt, size_t i) {
  const Token& t = tt.tokens[i];
  if (t.dropped_before == 'i') return true;
  if (i == 0) return false;
  const Token& p = tt.tokens[i - 1];
  if (p.flags & Token::kClauseEnd) return false;
  static constexpr std::string_view kSubjects[] = {
      "you", "we", "they", "he", "she", "people", "really", "do", "does", "did", "don't", "dont",
      "doesn't", "doesnt", "didn't", "didnt", "also", "totally", "actually", "still", "kinda",
      "always", "never", "u", "ya", "ppl",
      "definitely", "genuinely", "truly", "sorta", "absolutely", "guys", "all", "everyone",
      "everybody", "nobody", "who", "might", "will", "i'll", "can", "could", "should", "may"};
  for (const auto& w : kSubjects) {
    if (p.view() == w) return true;
  }
  // "not like" compares ("it's not like I'm jealous", "not like wind") unless an auxiliary
  // makes it a verb ("I do not like it", "we did not like").
  if (p.view() == "not" && i >= 2 && !(tt.tokens[i - 2].flags & Token::kClauseEnd)) {
    const std::string_view a = tt.tokens[i - 2].view();
    return a == "do" || a == "does" || a == "did" || a == "really" || a == "just";
  }
  return false;
}

float TokenValence(const TokenizedText& tt, size_t i, bool cap_diff, int* negated_from) {
  const Token& t = tt.tokens[i];
  const Entry* e = t.rule;
  if (!e || !(e->flags & Entry::kValence) || e->valence == 0) return 0;
  // Dual-role words modify the sentiment word that follows instead of scoring themselves
  // (not another modifier: "no no no" is three refusals).
  if (e->flags & (Entry::kBooster | Entry::kNegator)) {
    const Entry* next = NextRule(tt, i);
    if (HasValence(next) && !(next->flags & (Entry::kBooster | Entry::kNegator))) return 0;
  }
  if (Is(t, "like") && !LikeIsVerb(tt, i)) return 0;
  float v = e->valence;
  const float sign = v > 0 ? 1.f : -1.f;
  if ((t.flags & Token::kAllCaps) && cap_diff) v += sign * kCapsStep;
  if (t.flags & Token::kElongated) v += sign * kElongationStep;
  static constexpr float kDecay[4] = {0, 1.f, 0.95f, 0.9f};
  // Emoji and emoticons stand outside the sentence's syntax: no negation or boosters reach them.
  // Nor do they reach interjections ("no idea lol": the laugh is not negated).
  const bool outside = (t.flags & Token::kSymbol) || (e->flags & Entry::kInterjection);
  const size_t reach = outside ? 0 : 3;
  // A negator negates the sentiment words after it once: in "don't care don't care" the first
  // "don't" belongs to the first "care", so once a nearer negator has applied, a negator beyond
  // another sentiment word does not flip this word back.
  bool negated = false, passed_word = false;
  for (size_t d = 1; d <= reach && d <= i; ++d) {
    const size_t j = i - d;
    const Token& m = tt.tokens[j];
    if (m.flags & Token::kClauseEnd) break;
    const Entry* r = m.consumed ? nullptr : m.rule;
    if (r && (r->flags & Entry::kContrast)) break;
    const bool sentiment_word = r && (r->flags & Entry::kValence) && !(r->flags & kModifierFlags);
    if (sentiment_word) {
      passed_word = true;
      continue;
    }
    if ((e->flags & Entry::kNegator) && r && (r->flags & Entry::kNegator)) continue;
    if (r && (r->flags & Entry::kBooster)) {
      float s = r->booster * sign;
      if ((m.flags & Token::kAllCaps) && cap_diff) s += sign * kCapsStep;
      v += s * kDecay[d];
    }
    if ((r && (r->flags & Entry::kNegator)) || (!m.consumed && (m.flags & Token::kNegatedForm))) {
      if (negated && passed_word) continue;
      negated = true;
      if (d >= 2 && Is(m, "never") &&
          (Is(tt.tokens[j + 1], "so") || Is(tt.tokens[j + 1], "this") ||
           Is(tt.tokens[i - 1], "so") || Is(tt.tokens[i - 1], "this"))) {
        v *= 1.25f;  // "never so good": emphasis, not negation
      } else if (r && (r->flags & Entry::kValence) && d > 1) {
        // A negator that is also a sentiment word ("no") negates only the word right after it.
      } else if (sign < 0) {
        v *= kNegatedNegativeScalar;  // "not bad" is mildly positive, not good
        if (negated_from) *negated_from = static_cast<int>(j);
      } else {
        v *= kNegationScalar;
        if (negated_from) *negated_from = static_cast<int>(j);
      }
    }
  }
  // "least": "the least helpful" negates; "at least", "very least" do not.
  if (i >= 1 && Is(tt.tokens[i - 1], "least") && !(tt.tokens[i - 1].flags & Token::kClauseEnd)) {
    if (!(i >= 2 && (Is(tt.tokens[i - 2], "at") || Is(tt.tokens[i - 2], "very")))) {
      v *= kNegationScalar;
    }
  }
  return v;
}

// Questions that ask for information ("Any good films on?", "What time is a good time to
// call?", "Is it a free update?") do not assert the sentiment of their words: the words are in
// an irrealis context (Taboada et al. 2011, "irrealis blocking"). Questions opened by "why" or
// "how" are left alone: they are as often complaints or exclamations ("why is it so slow?",
// "how cool is that?"), and so are questions with emphasis, which are rhetorical ("what the hell
// is going on?", "did you even READ it?", "can you really believe this?").
bool Emphatic(const TokenizedText& tt, size_t b, size_t e, bool cap_diff) {
  for (size_t k = b; k < e; ++k) {
    const Token& t = tt.tokens[k];
    if (cap_diff && (t.flags & Token::kAllCaps) && !(t.flags & Token::kSymbol)) return true;
    const Entry* r = t.consumed ? nullptr : t.rule;
    if (!r) continue;
    if ((r->flags & Entry::kBooster) && r->booster > 0) return true;
    if ((r->flags & Entry::kValence) && std::fabs(r->valence) >= 3.0f) return true;
    if (Is(t, "even")) return true;
  }
  return false;
}

void BlockQuestions(const TokenizedText& tt, bool cap_diff, float* valence) {
  static constexpr std::string_view kOpeners[] = {
      "what", "what's", "whats", "which", "where", "where's", "when", "when's", "who", "who's",
      "whose", "is", "are", "do", "does", "did", "can", "could", "would", "will", "should",
      "shall", "any", "anyone", "anybody", "anything", "have", "has"};
  size_t b = 0;
  for (size_t i = 0; i < tt.count; ++i) {
    const Token& t = tt.tokens[i];
    if (!(t.flags & Token::kSentenceEnd) && i + 1 != tt.count) continue;
    const size_t e = i + 1;
    size_t first = b;
    while (first < e && ((tt.tokens[first].flags & Token::kMention) ||
                         Is(tt.tokens[first], "rt"))) {
      ++first;
    }
    bool info_question = false;
    if ((t.flags & Token::kQuestion) && first < e) {
      for (const auto& w : kOpeners) {
        if (tt.tokens[first].view() == w) {
          info_question = true;
          break;
        }
      }
    }
    if (info_question && !Emphatic(tt, b, e, cap_diff)) {
      for (size_t k = b; k < e; ++k) {
        if (!(tt.tokens[k].flags & Token::kSymbol)) valence[k] = 0;
      }
    }
    b = e;
  }
}

// "but" and its kin: within the sentence, before x0.5 and after x1.5. A sentence that opens
// with "but" contrasts with the previous sentence. "although" discounts its own clause.
void ApplyContrast(const TokenizedText& tt, float* valence) {
  size_t sentence_start = 0, prev_sentence_start = 0;
  for (size_t i = 0; i < tt.count; ++i) {
    const Token& t = tt.tokens[i];
    const bool last = (t.flags & Token::kSentenceEnd) || i + 1 == tt.count;
    if (!last) continue;
    const size_t b = sentence_start, e = i + 1;
    for (size_t c = b; c < e; ++c) {
      const Entry* r = tt.tokens[c].consumed ? nullptr : tt.tokens[c].rule;
      if (!r) continue;
      if (r->flags & Entry::kContrast) {
        const size_t from = (c == b) ? prev_sentence_start : b;
        for (size_t k = from; k < c; ++k) valence[k] *= 0.5f;
        for (size_t k = c + 1; k < e; ++k) valence[k] *= 1.5f;
        break;
      }
      // "Although X, Y" and "Y, although X"; a sentence-final "though" is not a concession.
      if ((r->flags & Entry::kConcession) &&
          (c == b || (tt.tokens[c - 1].flags & Token::kClauseEnd))) {
        size_t clause_end = c;
        while (clause_end + 1 < e && !(tt.tokens[clause_end].flags & Token::kClauseEnd)) ++clause_end;
        if (clause_end + 1 >= e && c == b) break;  // the whole sentence is the concession
        for (size_t k = b; k < e; ++k) valence[k] *= (k > c && k <= clause_end) ? 0.5f : 1.5f;
        break;
      }
    }
    prev_sentence_start = b;
    sentence_start = e;
  }
}

}  // namespace

std::string JoinTokens(const TokenizedText& tt, size_t b, size_t e) {
  std::string out;
  for (size_t k = b; k < e && k < tt.count; ++k) {
    if (!out.empty()) out.push_back(' ');
    out.append(tt.tokens[k].view());
  }
  return out;
}

ValenceResult ScoreValence(const Lexicon& lex, TokenizedText& tt, float* valence,
                           int* negated_from) {
  ValenceResult r;
  const size_t n = tt.count;
  // Only tokens with an entry (tt.hits) can start a phrase or carry valence; the others score 0.
  const uint32_t* const hits = tt.hits;
  const size_t hit_count = tt.hit_count;
  std::fill(valence, valence + n, 0.f);
  if (negated_from) std::fill(negated_from, negated_from + n, -1);
  size_t consumed = 0;  // tokens inside phrases that start earlier
  for (size_t h = 0; h < hit_count; ++h) {
    const Token& t = tt.tokens[hits[h]];
    if (!t.consumed && (t.entry->flags & Entry::kPrefix)) consumed += MatchPhrase(lex, tt, hits[h]);
  }
  const bool cap_diff = tt.all_caps > 0 && static_cast<size_t>(tt.all_caps) < n;
  // Which of the sentence-level passes below can change anything: contrast needs a "but" or
  // "although" rule, question blocking a question mark. Most messages have neither.
  uint16_t rule_flags = 0;
  for (size_t h = 0; h < hit_count; ++h) {
    const size_t i = hits[h];
    const Token& t = tt.tokens[i];
    if (t.consumed) continue;
    rule_flags |= t.rule->flags;
    if (t.rule->flags & Entry::kValence) {
      valence[i] = TokenValence(tt, i, cap_diff, negated_from ? &negated_from[i] : nullptr);
    }
  }
  if (rule_flags & (Entry::kContrast | Entry::kConcession)) ApplyContrast(tt, valence);
  if (tt.has_question) BlockQuestions(tt, cap_diff, valence);
  // Summed in token order like every token's valence; the zeros change nothing but `neutral`.
  double sum = 0, pos_sum = 0, neg_sum = 0;
  size_t nonzero = 0;
  for (size_t h = 0; h < hit_count; ++h) {
    const size_t i = hits[h];
    if (tt.tokens[i].consumed) continue;
    const double v = valence[i];
    if (v == 0) continue;
    ++nonzero;
    sum += v;
    if (v > 0) pos_sum += v + 1;
    else neg_sum += v - 1;
  }
  const int neutral = static_cast<int>(n - consumed - nonzero);
  if (n == 0) return r;
  const int ep = std::min(tt.exclamations, 4);
  double amp = ep * 0.292;
  if (tt.questions > 1) amp += tt.questions <= 3 ? tt.questions * 0.18 : 0.96;
  if (sum > 0) sum += amp;
  else if (sum < 0) sum -= amp;
  r.sum = sum;
  r.compound = std::clamp(sum / std::sqrt(sum * sum + kNormalizeAlpha), -1.0, 1.0);
  if (pos_sum > -neg_sum) pos_sum += amp;
  else if (pos_sum < -neg_sum) neg_sum -= amp;
  const double total = pos_sum - neg_sum + neutral;
  if (total > 0) {
    r.pos = pos_sum / total;
    r.neg = std::fabs(neg_sum) / total;
    r.neu = neutral / total;
  }
  return r;
}

}  // namespace deskhook::sentiment
