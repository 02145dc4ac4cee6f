// Internal to the sentiment library: the valence rules over a tokenized message, and the
// support-signal detector. Scorer (scorer.cc) owns the buffers and calls these.
#pragma once

#include <string>
#include <vector>

#include "sentiment/lexicon.h"
#include "sentiment/sentiment.h"
#include "sentiment/tokenizer.h"

namespace deskhook::sentiment {

// VADER's constants (Hutto & Gilbert 2014), which this scorer keeps.
inline constexpr float kBoosterStep = 0.293f;   // booster/dampener increment
inline constexpr float kCapsStep = 0.733f;      // ALL-CAPS word among lower-case ones
inline constexpr float kNegationScalar = -0.74f;
// Negated negative words turn only weakly positive ("not bad", "didn't crash"): negation is
// asymmetric (Kiritchenko & Mohammad 2016), unlike VADER's single -0.74.
inline constexpr float kNegatedNegativeScalar = -0.3f;
inline constexpr float kElongationStep = 0.293f;  // "sooo goood": one booster step
inline constexpr double kNormalizeAlpha = 15.0;

// Per-token results of the valence rules. `valence` has one slot per token.
struct ValenceResult {
  double sum = 0;        // sum of token valences plus punctuation emphasis
  double compound = 0;   // normalised to [-1, 1]
  double pos = 0, neg = 0, neu = 0;
};

// Applies phrases, negation, boosters, caps, elongation, "least", contrast and punctuation.
// REQUIRES: valence has room for tt.count floats; negated_from has room for tt.count ints, or is
// null (then the start of each negated span is not recorded).
ValenceResult ScoreValence(const Lexicon& lex, TokenizedText& tt, float* valence,
                           int* negated_from);

// Finds support-signal phrases (not negated ones), fills the four signals and appends terms.
void DetectSignals(const Lexicon& lex, const TokenizedText& tt, double compound,
                   MessageScore* out);

// Longest phrase of >= 2 tokens starting at token i whose entry satisfies want(entry), found by
// extending the key one token at a time while it is a known phrase prefix. Sets *words.
template <class Want>
const Entry* LongestPhrase(const Lexicon& lex, const TokenizedText& tt, size_t i, Want want,
                           size_t* words) {
  const Token& first = tt.tokens[i];
  *words = 0;
  if (!first.entry || !(first.entry->flags & Entry::kPrefix)) return nullptr;
  char key[256];
  if (first.len > sizeof(key)) return nullptr;
  // The key's text is copied only once its hash passes the lexicon's filter: most prefixes
  // ("not", "no") are not followed by a phrase's next word.
  size_t len = 0;      // bytes of key holding tokens [i, copied)
  size_t copied = i;
  size_t total = first.len;  // bytes the key of tokens [i, k] takes
  uint64_t h = Lexicon::Combine(Lexicon::kSeed, first.hash);
  const Entry* best = nullptr;
  for (size_t k = i + 1; k < tt.count; ++k) {
    if (tt.tokens[k - 1].flags & Token::kSentenceEnd) break;
    const Token& w = tt.tokens[k];
    if (total + 1 + w.len > sizeof(key)) break;
    total += 1 + w.len;
    h = Lexicon::Combine(h, w.hash);
    const uint64_t hash = Lexicon::Finish(h);
    if (!lex.MayContainHash(hash)) break;
    for (; copied <= k; ++copied) {
      const Token& t = tt.tokens[copied];
      if (copied > i) key[len++] = ' ';
      for (size_t c = 0; c < t.len; ++c) key[len + c] = t.p[c];  // short: no memcpy call
      len += t.len;
    }
    const Entry* e = lex.FindHashed(std::string_view(key, len), hash);
    if (!e) break;
    if (want(e)) {
      best = e;
      *words = k - i + 1;
    }
    if (!(e->flags & Entry::kPrefix)) break;
  }
  return best;
}

// Space-joined text of tokens [b, e).
std::string JoinTokens(const TokenizedText& tt, size_t b, size_t e);

}  // namespace deskhook::sentiment
