// deskhook's built-in sentiment scorer: per message valence (VADER-style rules), support-domain
// signals, the terms that moved the score, and a conversation trend. No dependency on the host.
//
// Thread-safety: a Scorer is immutable after Create() and may be shared by all threads.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace deskhook::sentiment {

// One term (word, phrase, emoji, emoticon) that contributed to a signal.
struct Term {
  std::string text;     // as it appeared, lower-cased
  float weight = 0;     // contribution after rules (negative = negative valence)
  std::string signal;   // "valence", "frustration", "churn_risk", "wants_human", "urgency"
};

struct MessageScore {
  double compound = 0;  // [-1, 1]
  double pos = 0, neg = 0, neu = 1;  // proportions, sum to 1
  double frustration = 0;   // [0, 1]
  double churn_risk = 0;    // [0, 1]
  double wants_human = 0;   // [0, 1]
  double urgency = 0;       // [0, 1]
  std::vector<Term> terms;  // strongest first
};

struct ConversationTrend {
  int messages = 0;        // customer messages seen
  double last = 0;         // compound of the latest message
  double ewma = 0;         // exponentially weighted mean of compounds (recent weigh more)
  double slope = 0;        // least-squares slope of compound per message
  double min = 0;          // lowest compound so far
  bool escalating = false; // sentiment is falling across messages
};

struct Options {
  std::string extra_lexicon_path;  // operator's own terms/phrases; "" = none
  double ewma_alpha = 0.5;
};

class Scorer {
 public:
  // Loads the built-in lexicon and the operator's file. Returns nullptr and sets *error on failure.
  static std::unique_ptr<Scorer> Create(const Options& options, std::string* error);
  virtual ~Scorer() = default;

  // Full result with signals and terms. `text` is what the customer wrote (already cleaned).
  virtual MessageScore Score(std::string_view text) const = 0;
  // Compound only; the hot path (no allocation per token).
  virtual double Compound(std::string_view text) const = 0;
};

// Removes what the customer did not write now: quoted reply chains ("> ", "On ... wrote:"),
// signatures, HTML tags and entities. Returns plain text.
std::string CleanMessage(std::string_view raw);

// Trend over a customer's messages, oldest first.
ConversationTrend Trend(std::span<const double> compounds, double ewma_alpha = 0.5);

}  // namespace deskhook::sentiment
