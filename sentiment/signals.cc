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

// Longest signal phrase starting at i; returns its entry and sets *words.
const Entry* MatchSignal(const Lexicon& lex, const TokenizedText& tt, size_t i, size_t* words) {
  const Token& t = tt.tokens[i];
  size_t max_words = 1;
  if (t.entry && (t.entry->flags & Entry::kPhraseStart)) max_words = t.entry->max_phrase_words;
  max_words = std::min(max_words, tt.count - i);
  char key[256];
  for (size_t w = max_words; w >= 1; --w) {
    size_t len = 0;
    bool fits = true;
    for (size_t k = i; k < i + w; ++k) {
      if (k > i && (tt.tokens[k - 1].flags & Token::kSentenceEnd)) { fits = false; break; }
      const Token& tok = tt.tokens[k];
      if (len + tok.len + 1 > sizeof(key)) { fits = false; break; }
      if (k > i) key[len++] = ' ';
      std::memcpy(key + len, tok.p, tok.len);
      len += tok.len;
    }
    if (!fits) continue;
    const Entry* e = w == 1 ? t.entry : lex.Find(std::string_view(key, len));
    if (e && (e->flags & Entry::kSignal)) {
      *words = w;
      return e;
    }
  }
  return nullptr;
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
        if (e->signal[s] <= 0) continue;
        keep[s] *= 1.0 - e->signal[s];
        out->terms.push_back(Term{text, e->signal[s], SignalName(s)});
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
