// Splits a message into normalised tokens for the scorer, without allocating: the caller owns
// the byte buffer (>= text.size() + kTokenBufferSlack), the token array and the hit index array
// (both >= MaxTokens(text.size())).
//
// Tokens: whitespace-separated words with leading/trailing ASCII punctuation removed (kept whole
// when the whole chunk is a lexicon entry such as ":-)" or "<3"); emoji split off as tokens of
// their own; emoticons glued to a word's end ("thanks:)") split off; one-character ASCII words
// dropped (as VADER does); elongated words ("sooo goood") collapsed to the lexicon form.
// Punctuation after a token marks clause and sentence ends, which bound negation and contrast.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sentiment/lexicon.h"

namespace deskhook::sentiment {

struct Token {
  enum Flags : uint8_t {
    kAllCaps = 1 << 0,      // has upper-case letters and no lower-case ones ("GREAT", ":D")
    kElongated = 1 << 1,    // matched the lexicon only after collapsing repeated letters
    kClauseEnd = 1 << 2,    // followed by , ; : . ! ? or a dash
    kSentenceEnd = 1 << 3,  // followed by . ! ? or a line break
    kNegatedForm = 1 << 4,  // ends in "n't" (VADER treats any such word as a negator)
    kSymbol = 1 << 5,       // no letters: emoji, emoticon, number
    kQuestion = 1 << 6,     // followed by '?'
    kMention = 1 << 7,      // an @handle
  };
  const char* p = nullptr;  // normalised (lower-cased) bytes
  uint64_t hash = 0;        // Lexicon::WordHash of those bytes
  uint32_t len = 0;
  uint8_t flags = 0;
  uint8_t span = 1;         // tokens covered when a phrase matched here (set by the scorer)
  bool consumed = false;    // inside a phrase that starts earlier (set by the scorer)
  char dropped_before = 0;  // a one-character word dropped just before this token ("i"), or 0
  bool pending = false;     // lookup deferred (tokenizer-internal)
  const Entry* entry = nullptr;  // lexicon entry for the token itself, or null
  const Entry* rule = nullptr;   // entry the scorer applies here: a phrase's or `entry`
  std::string_view view() const { return {p, len}; }
};

struct TokenizedText {
  Token* tokens = nullptr;
  size_t count = 0;
  // Indices of the tokens with a lexicon entry, ascending. Most tokens have none, so the rules
  // visit only these.
  uint32_t* hits = nullptr;
  size_t hit_count = 0;
  bool has_question = false;  // some token has kQuestion
  int exclamations = 0;  // '!' in the whole text
  int questions = 0;     // '?' in the whole text
  int all_caps = 0;      // tokens with kAllCaps
};

// Bytes the tokenizer's buffer needs beyond the text's size: words are hashed with 8-byte loads
// that may read (and ignore) up to 7 bytes past a word's end.
inline constexpr size_t kTokenBufferSlack = 8;

// Upper bound on tokens for a text of `bytes` bytes.
constexpr size_t MaxTokens(size_t bytes) { return bytes / 2 + 2; }

// REQUIRES: buf has room for text.size() + kTokenBufferSlack bytes; tokens and hits have room for
// MaxTokens(text.size()). The tokens point into buf. Every token's `rule` is its `entry`.
TokenizedText Tokenize(std::string_view text, const Lexicon& lexicon, char* buf, Token* tokens,
                       uint32_t* hits);

}  // namespace deskhook::sentiment
