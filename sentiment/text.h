// UTF-8 helpers shared by the tokenizer, the lexicon loader and CleanMessage. None allocate.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace deskhook::sentiment::text {

// Decodes one code point at s[i] (i < n). Sets *len to the bytes consumed (>= 1). Invalid or
// truncated sequences decode as U+FFFD consuming one byte, so callers always make progress.
inline uint32_t Decode(const unsigned char* s, size_t n, size_t i, size_t* len) {
  const unsigned char c = s[i];
  if (c < 0x80) { *len = 1; return c; }
  auto cont = [&](size_t k) { return i + k < n && (s[i + k] & 0xC0) == 0x80; };
  if (c >= 0xC2 && c < 0xE0 && cont(1)) {
    *len = 2;
    return ((c & 0x1Fu) << 6) | (s[i + 1] & 0x3Fu);
  }
  if (c >= 0xE0 && c < 0xF0 && cont(1) && cont(2)) {
    const uint32_t cp = ((c & 0x0Fu) << 12) | ((s[i + 1] & 0x3Fu) << 6) | (s[i + 2] & 0x3Fu);
    if (cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF)) { *len = 3; return cp; }
  }
  if (c >= 0xF0 && c < 0xF5 && cont(1) && cont(2) && cont(3)) {
    const uint32_t cp = ((c & 0x07u) << 18) | ((s[i + 1] & 0x3Fu) << 12) |
                        ((s[i + 2] & 0x3Fu) << 6) | (s[i + 3] & 0x3Fu);
    if (cp >= 0x10000 && cp <= 0x10FFFF) { *len = 4; return cp; }
  }
  *len = 1;
  return 0xFFFD;
}

// Writes cp as UTF-8 into out (room for 4 bytes); returns bytes written.
inline size_t Encode(uint32_t cp, char* out) {
  if (cp < 0x80) { out[0] = static_cast<char>(cp); return 1; }
  if (cp < 0x800) {
    out[0] = static_cast<char>(0xC0 | (cp >> 6));
    out[1] = static_cast<char>(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = static_cast<char>(0xE0 | (cp >> 12));
    out[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out[2] = static_cast<char>(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = static_cast<char>(0xF0 | (cp >> 18));
  out[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
  out[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  out[3] = static_cast<char>(0x80 | (cp & 0x3F));
  return 4;
}

// Whitespace, including the Unicode spaces that e-mail clients produce (NBSP, thin spaces...).
inline bool IsSpace(uint32_t cp) {
  return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000;
}

// Pictographs that stand alone as tokens even when written against a word ("great😀").
inline bool IsEmoji(uint32_t cp) {
  return (cp >= 0x1F300 && cp <= 0x1FAFF) || (cp >= 0x2600 && cp <= 0x27BF) ||
         (cp >= 0x1F000 && cp <= 0x1F2FF) || (cp >= 0x2300 && cp <= 0x23FF) || cp == 0x2B50 || cp == 0x2B55 || cp == 0x2764 ||
         cp == 0x203C || cp == 0x2049 || cp == 0x2122 || cp == 0x2639 || cp == 0x263A;
}

// Code points dropped from emoji tokens so that variants share one lexicon key: variation
// selectors, skin tones, zero-width joiner.
inline bool IsEmojiModifier(uint32_t cp) {
  return cp == 0xFE0F || cp == 0xFE0E || (cp >= 0x1F3FB && cp <= 0x1F3FF) || cp == 0x200D;
}

// Simple case mapping for the scripts whose case is one code point to one (ASCII, Latin-1,
// Latin Extended-A, Greek, Cyrillic). Other code points are returned unchanged.
inline uint32_t ToLower(uint32_t cp, bool* was_upper) {
  *was_upper = false;
  if (cp >= 'A' && cp <= 'Z') { *was_upper = true; return cp + 32; }
  if (cp < 0xC0) return cp;
  if ((cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) || (cp >= 0x391 && cp <= 0x3AB && cp != 0x3A2) ||
      (cp >= 0x410 && cp <= 0x42F)) {
    *was_upper = true;
    return cp + 32;
  }
  if (cp >= 0x400 && cp <= 0x40F) { *was_upper = true; return cp + 80; }
  if (cp >= 0x100 && cp <= 0x17F && cp != 0x130 && cp != 0x131 && cp != 0x138 && cp != 0x149 &&
      cp != 0x17F) {
    // Latin Extended-A pairs: even = upper (with two runs where odd = upper).
    const bool odd_upper = (cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E);
    if ((cp % 2 == 1) == odd_upper) { *was_upper = true; return cp + 1; }
  }
  return cp;
}

inline bool IsLowerLetter(uint32_t cp) {
  return (cp >= 'a' && cp <= 'z') || (cp >= 0xDF && cp <= 0xFF && cp != 0xF7) ||
         (cp >= 0x3B1 && cp <= 0x3CB) || (cp >= 0x430 && cp <= 0x45F);
}

// Typographic apostrophes that mean "'" in contractions ("don’t").
inline bool IsApostrophe(uint32_t cp) { return cp == 0x2019 || cp == 0x2018 || cp == 0x02BC; }

// ASCII punctuation as Python's string.punctuation.
inline bool IsAsciiPunct(unsigned char c) {
  return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
         (c >= 123 && c <= 126);
}

// Writes the normalised form of `in` to `out` (capacity >= in.size()): lower-cased, typographic
// apostrophes as "'", emoji modifiers dropped. Never longer than the input. Sets *has_upper /
// *has_lower when `in` has upper / lower case letters. Returns bytes written.
size_t NormalizeInto(std::string_view in, char* out, bool* has_upper, bool* has_lower);

}  // namespace deskhook::sentiment::text
