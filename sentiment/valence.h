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

// Space-joined text of tokens [b, e).
std::string JoinTokens(const TokenizedText& tt, size_t b, size_t e);

}  // namespace deskhook::sentiment
