// Support-domain signals: frustration, churn risk, wants-a-human, urgency. Each is a noisy-or of
// the weights of the phrases found (1 - prod(1 - w)), so it stays in [0, 1] and grows with
// evidence. A phrase preceded by a negator within three tokens of its clause does not count.
#include <cmath>
#include <cstring>

#include "sentiment/valence.h"

namespace deskhook::sentiment {
namespace {

bool Negated(const TokenizedText& tt, size_t i) {
  for (size_t d = 1; d <= 3 && d <= i; ++d) {
    const Token& m = tt.tokens[i - d];
    if (m.flags & Token::kClauseEnd) return false;
    if (m.entry && (m.entry->flags & Entry::kContrast)) return false;
    if ((m.entry && (m.entry->flags & Entry::kNegator)) || (m.flags & Token::kNegatedForm)) {
      return true;
    }
  }
  return false;
}

// Longest signal phrase (or single token) starting at i; returns its entry and sets *words.
const Entry* MatchSignal(const Lexicon& lex, const TokenizedText& tt, size_t i, size_t* words) {
  const Entry* e = LongestPhrase(lex, tt, i, [](const Entry* x) { return (x->flags & Entry::kSignal) != 0; }, words);
  if (e) return e;
  const Entry* single = tt.tokens[i].entry;
  *words = 1;
  return single && (single->flags & Entry::kSignal) ? single : nullptr;
}

}  // namespace

void DetectSignals(const Lexicon& lex, const TokenizedText& tt, double compound,
                   MessageScore* out) {
  double keep[kSignalCount] = {1, 1, 1, 1};  // prod(1 - w)
  for (size_t i = 0; i < tt.count;) {
    size_t words = 1;
    const Entry* e = MatchSignal(lex, tt, i, &words);
    if (e && !Negated(tt, i)) {
      const std::string text = JoinTokens(tt, i, i + words);
      for (int s = 0; s < kSignalCount; ++s) {
        const float w = e->signal(s);
        if (w <= 0) continue;
        keep[s] *= 1.0 - w;
        out->terms.push_back(Term{text, w, SignalName(s)});
      }
    }
    i += e ? words : 1;
  }
  // Shouting a complaint (ALL CAPS among lower case, "!!", "??") and a strongly negative tone are
  // frustration cues of their own, weaker than explicit phrases.
  if (compound <= -0.3) {
    const bool caps = tt.all_caps > 0 && static_cast<size_t>(tt.all_caps) < tt.count;
    if (caps || tt.exclamations >= 2 || tt.questions >= 2) {
      keep[kFrustration] *= 1.0 - 0.3;
      out->terms.push_back(Term{"(shouting)", 0.3f, SignalName(kFrustration)});
    }
    const double tone = std::min(0.3, (-compound - 0.3) * 0.5);
    if (tone > 0.01) {
      keep[kFrustration] *= 1.0 - tone;
      out->terms.push_back(Term{"(negative tone)", static_cast<float>(tone), SignalName(kFrustration)});
    }
  }
  out->frustration = 1.0 - keep[kFrustration];
  out->churn_risk = 1.0 - keep[kChurnRisk];
  out->wants_human = 1.0 - keep[kWantsHuman];
  out->urgency = 1.0 - keep[kUrgency];
}

}  // namespace deskhook::sentiment
