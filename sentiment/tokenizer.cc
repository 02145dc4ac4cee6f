#include "sentiment/tokenizer.h"

#include <cstring>
#include <cmath>

#include "sentiment/text.h"

namespace deskhook::sentiment {
namespace {

// Byte classes for the ASCII fast path.
enum : uint8_t {
  kSpace = 1,     // ASCII whitespace
  kUpper = 2,     // A-Z
  kLower = 4,     // a-z
  kSlow = 8,      // needs the slow path: non-ASCII, '!', '?', whitespace
  kPunct = 16,    // ASCII punctuation (Python's string.punctuation)
  kClause = 32,   // , ; : . ! ? -
  kSentence = 64, // . ! ?
  kEyes = 128,    // : ; =  (emoticon eyes)
};

struct ByteTables {
  uint8_t cls[256] = {};
  char lower[256] = {};
  // For a word's last byte: the byte an inflection ending needs before it ('*': any), or 0.
  char inflection[256] = {};
  constexpr ByteTables() {
    inflection['s'] = '*';                         // -s, -es, -ies
    inflection['d'] = inflection['r'] = 'e';       // -ed, -er
    inflection['g'] = inflection['\''] = 'n';      // -ing, -in'
    inflection['n'] = 'i';                         // -in
    inflection['t'] = 's';                         // -est
    for (int c = 0; c < 256; ++c) {
      lower[c] = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
      uint8_t k = 0;
      if (c == ' ' || (c >= 9 && c <= 13)) k |= kSpace | kSlow;
      if (c >= 'A' && c <= 'Z') k |= kUpper;
      if (c >= 'a' && c <= 'z') k |= kLower;
      if (c >= 0x80 || c == '!' || c == '?') k |= kSlow;
      if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) k |= kPunct;
      if (c == ',' || c == ';' || c == ':' || c == '.' || c == '!' || c == '?' || c == '-') k |= kClause;
      if (c == '.' || c == '!' || c == '?') k |= kSentence;
      if (c == ':' || c == ';' || c == '=') k |= kEyes;
      cls[c] = k;
    }
  }
};
constexpr ByteTables kTables;

// Byte-parallel tests over eight bytes of text (little-endian: byte 0 is the lowest).
struct Swar {
  static constexpr uint64_t kOnes = 0x0101010101010101ull;
  static constexpr uint64_t kHigh = 0x8080808080808080ull;
  // 0x80 in each byte of x that lies in [lo, hi] (hi < 0x80); exact, no carries between bytes.
  static uint64_t Range(uint64_t x, unsigned lo, unsigned hi) {
    const uint64_t y = x & ~kHigh;
    const uint64_t ge = y + kOnes * (0x80 - lo);      // high bit set iff y >= lo
    const uint64_t gt = y + kOnes * (0x80 - hi - 1);  // high bit set iff y > hi
    return ge & ~gt & ~x & kHigh;
  }
  // 0x80 in each byte the slow path must see (kSlow): non-ASCII, whitespace, '!' and '?'.
  static uint64_t SlowMask(uint64_t x) {
    return (x & kHigh) | Range(x, 9, 13) | Range(x, ' ', '!') | Range(x, '?', '?');
  }
  // All bits below the lowest set bit of m (m != 0).
  static uint64_t LowBytes(uint64_t m) { return (m & (~m + 1)) - 1; }
};

inline uint8_t Class(char c) { return kTables.cls[static_cast<unsigned char>(c)]; }
inline bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z'); }

class Builder {
 public:
  Builder(const Lexicon& lex, char* buf, Token* tokens, uint32_t* hits) : lex_(lex), buf_(buf) {
    out_.tokens = tokens;
    out_.hits = hits;
  }

  TokenizedText Run(std::string_view text) {
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    const size_t n = text.size();
    size_t i = 0;
    while (i < n) {
      // Whitespace between chunks; a line break ends a sentence.
      bool newline = false;
      while (i < n) {
        const unsigned char c = s[i];
        if (c < 0x80) {
          if (!(kTables.cls[c] & kSpace)) break;  // the chunk loop stops at exactly these
          newline |= (c == '\n');
          ++i;
          continue;
        }
        size_t len;
        const uint32_t cp = text::Decode(s, n, i, &len);
        if (!text::IsSpace(cp)) break;
        if (cp == 0x2028 || cp == 0x2029 || cp == 0x85) newline = true;
        i += len;
      }
      if (newline) MarkBoundary(true);
      if (i >= n) break;
      // One chunk up to the next whitespace; emoji split it.
      size_t start = o_;
      bool upper = false, lower = false;
      uint8_t seen = 0;  // byte classes met in the ASCII fast path
      while (i < n) {
        const unsigned char c = s[i];
        const uint8_t k = kTables.cls[c];
        if (!(k & kSlow)) {
          // Locals, not members: a char store may alias any member, which would force the
          // compiler to reload and store o_ around every byte.
          char* const out = buf_;
          size_t o = o_;
          // Eight bytes at a time while the input and the output (buf_ holds n bytes) have room:
          // the run's length comes from a mask, not from a per-byte branch that mispredicts at
          // every word's end. The byte loop finishes the text's last few bytes.
          while (i + 8 <= n && o + 8 <= n) {
            uint64_t x;
            std::memcpy(&x, s + i, 8);
            const uint64_t m = Swar::SlowMask(x);
            const uint64_t keep = m ? Swar::LowBytes(m) : ~uint64_t{0};
            const uint64_t up = Swar::Range(x, 'A', 'Z');
            seen |= (up & keep ? kUpper : 0) | (Swar::Range(x, 'a', 'z') & keep ? kLower : 0);
            const uint64_t low = x | (up >> 2);  // 'A'..'Z' + 0x20; bytes past the run are
            std::memcpy(out + o, &low, 8);       // rewritten later
            const size_t run = m ? static_cast<size_t>(__builtin_ctzll(m)) >> 3 : 8;
            i += run;
            o += run;
            if (m) goto run_done;
          }
          while (i < n) {
            const unsigned char b = s[i];
            const uint8_t kb = kTables.cls[b];
            if (kb & kSlow) break;
            seen |= kb;
            out[o++] = kTables.lower[b];
            ++i;
          }
        run_done:
          o_ = o;
          continue;
        }
        if (c < 0x80) {
          if (k & kSpace) break;
          if (c == '!') ++out_.exclamations;
          else ++out_.questions;
          buf_[o_++] = static_cast<char>(c);
          ++i;
          continue;
        }
        upper |= (seen & kUpper) != 0;
        lower |= (seen & kLower) != 0;
        seen = 0;
        size_t len;
        const uint32_t cp = text::Decode(s, n, i, &len);
        if (text::IsSpace(cp)) break;
        i += len;
        if (cp == 0xFFFD && len == 1) { buf_[o_++] = '?'; continue; }  // invalid byte
        if (text::IsApostrophe(cp)) { buf_[o_++] = '\''; continue; }
        if (text::IsEmojiModifier(cp)) continue;
        if (text::IsEmoji(cp)) {
          EmitWord(start, o_, upper, lower);
          const size_t e0 = o_;
          o_ += text::Encode(cp, buf_ + o_);
          // Skin tones, variation selectors and ZWJ-joined parts belong to this emoji.
          while (i < n) {
            size_t l2;
            const uint32_t next = text::Decode(s, n, i, &l2);
            if (next == 0x200D) {
              i += l2;
              if (i < n) { text::Decode(s, n, i, &l2); i += l2; }
              continue;
            }
            if (!text::IsEmojiModifier(next)) break;
            i += l2;
          }
          uint64_t h;
          const Entry* entry = Lookup(buf_ + e0, o_ - e0, &h);
          Push(e0, o_, Token::kSymbol, entry, h);
          start = o_;
          upper = lower = false;
          continue;
        }
        bool was_upper;
        const uint32_t low = text::ToLower(cp, &was_upper);
        if (was_upper) upper = true;
        else lower |= text::IsLowerLetter(cp);
        o_ += text::Encode(low, buf_ + o_);
      }
      EmitWord(start, o_, upper || (seen & kUpper), lower || (seen & kLower));
    }
    Resolve();
    return out_;
  }

 private:
  void MarkBoundary(bool sentence) {
    if (out_.count == 0) return;
    Token& t = out_.tokens[out_.count - 1];
    t.flags |= Token::kClauseEnd;
    if (sentence) t.flags |= Token::kSentenceEnd;
  }

  // An inflected form of a sentiment word ("crashes", "annoyed", "hating"): the base's entry.
  // The quick rejections are inlined; InflectedSlow tries the endings.
  const Entry* Inflected(const char* p, size_t n) const {
    if (n - 5 > 25) return nullptr;  // n < 5 or n > 30 (one unsigned compare)
    // Only these endings can be inflections handled below (a table, not a switch: the jump
    // table's target is as random as the words).
    const char before = kTables.inflection[static_cast<unsigned char>(p[n - 1])];
    if (before == 0 || (before != '*' && p[n - 2] != before)) return nullptr;
    return InflectedSlow(p, n);
  }
  __attribute__((noinline)) const Entry* InflectedSlow(const char* p, size_t n) const {
    auto ends = [&](std::string_view suf) {
      const size_t k = suf.size();
      if (n <= k + 2) return false;
      for (size_t j = 0; j < k; ++j) {
        if (p[n - k + j] != suf[j]) return false;
      }
      return true;
    };
    // Most words have none of the endings below: settle that before scanning the whole word.
    const bool candidate =
        ends("s") || ends("ed") || ends("ing") || ends("in") || ends("in'") || ends("er") ||
        ends("est");  // covers every ending tested below ("ies", "es", "ied", "iest", "ier")
    if (!candidate) return nullptr;
    for (size_t k = 0; k < n; ++k) {  // words only: not "@anonymous", URLs or numbers
      if (!(Class(p[k]) & kLower) && p[k] != '\'') return nullptr;
    }
    char tmp[40];  // words up to 30 bytes: WordHashPadded's reads past the end stay inside
    auto attempt = [&](size_t cut, const char* add) -> const Entry* {
      const size_t base = n - cut, extra = std::strlen(add);
      const char* key = p;  // a plain cut is a prefix of the word: no copy
      if (extra) {
        std::memcpy(tmp, p, base);
        std::memcpy(tmp + base, add, extra);
        key = tmp;
      }
      uint64_t h;
      const Entry* e = Lookup(key, base + extra, &h);
      return e && (e->flags & Entry::kValence) && std::fabs(e->valence) >= 1.0f &&
             !(e->flags & (Entry::kBooster | Entry::kNegator)) ? e : nullptr;
    };
    const Entry* e = nullptr;
    if (ends("ies")) e = attempt(3, "y");
    else if (ends("es")) { e = attempt(2, ""); if (!e) e = attempt(1, ""); }
    else if (ends("s") && !ends("ss")) e = attempt(1, "");
    else if (ends("ied")) e = attempt(3, "y");
    else if (ends("ed")) {
      e = attempt(2, "");
      if (!e) e = attempt(1, "");
      if (!e && p[n - 3] == p[n - 4]) e = attempt(3, "");
    } else if (ends("ing")) {
      e = attempt(3, "");
      if (!e) e = attempt(3, "e");
      if (!e && p[n - 4] == p[n - 5]) e = attempt(4, "");
    } else if (ends("in") || ends("in'")) {  // g-dropping: "lovin", "chillin'"
      const size_t cut = p[n - 1] == '\'' ? 1 : 0;
      e = attempt(cut, "g");
    } else if (ends("iest") || ends("ier")) {  // "happiest", "happier"
      e = attempt(ends("iest") ? 4 : 3, "y");
    } else if (ends("est") || ends("er")) {  // "coolest", "nicer", "biggest"
      const size_t k = ends("est") ? 3 : 2;
      e = attempt(k, "");
      if (!e) e = attempt(k - 1, "");
      if (!e && p[n - k - 1] == p[n - k - 2]) e = attempt(k + 1, "");
    }
    return e;
  }

  // Looks a single token up; *hash receives its word hash for the Token.
  const Entry* Lookup(const char* p, size_t n, uint64_t* hash) const {
    *hash = Lexicon::WordHashPadded(p, n);
    return lex_.FindPadded(std::string_view(p, n),
                           Lexicon::Finish(Lexicon::Combine(Lexicon::kSeed, *hash)));
  }

  void Push(size_t b, size_t e, uint8_t flags, const Entry* entry, uint64_t hash) {
    Token& t = out_.tokens[out_.count++];
    t.span = 1;
    t.consumed = false;
    t.pending = false;
    t.rule = nullptr;
    t.p = buf_ + b;
    t.hash = hash;
    t.len = static_cast<uint32_t>(e - b);
    t.flags = flags;
    t.entry = entry;
    t.dropped_before = dropped_;
    dropped_ = 0;
    if (flags & Token::kAllCaps) ++out_.all_caps;
  }

  // Tries to find the word with runs of 3+ equal letters shortened to 2, then to 1. On success
  // rewrites the word in place and returns its new end.
  size_t Collapse(size_t b, size_t e, const Entry** entry, uint64_t* hash) {
    // Words of up to 8 bytes in one 8-byte word (the buffer has slack past the text): byte j
    // of d = x ^ (x >> 8) is zero when bytes j and j+1 are equal; two zero bytes in a row are a
    // run of three, which counts when it starts inside the word and on a letter.
    bool has_run = false;
    if (e - b <= 8) {
      const uint64_t x = Lexicon::Load8(buf_ + b);
      const uint64_t d = x ^ (x >> 8);
      const uint64_t zero = ~(((d & ~Swar::kHigh) + ~Swar::kHigh) | d) & Swar::kHigh;
      const uint64_t run = zero & (zero >> 8) & (~uint64_t{0} >> (64 - 8 * (e - b - 2)));
      if (!run || !(run & Swar::Range(x, 'a', 'z'))) return 0;
      has_run = true;
    }
    // Longer words: a run of three at j..j+2 has an equal pair ending at j+1 or j+2, one of
    // which this loop visits (every other position); it then checks the third letter on
    // either side.
    for (size_t k = b + 1; !has_run && k < e; k += 2) {
      const char c = buf_[k];
      if (c != buf_[k - 1] || !IsAsciiLetter(c)) continue;
      if ((k >= b + 2 && buf_[k - 2] == c) || (k + 1 < e && buf_[k + 1] == c)) {
        has_run = true;
        break;
      }
    }
    if (!has_run || e - b > 64) return 0;
    char tmp[64 + 8];  // + 8: WordHashPadded reads past the end
    for (int keep = 2; keep >= 1; --keep) {
      size_t m = 0;
      for (size_t k = b; k < e; ++k) {
        size_t run = 0;
        while (m > run && tmp[m - 1 - run] == buf_[k] && run < static_cast<size_t>(keep)) ++run;
        if (IsAsciiLetter(buf_[k]) && run >= static_cast<size_t>(keep)) continue;
        tmp[m++] = buf_[k];
      }
      if (const Entry* found = Lookup(tmp, m, hash)) {
        std::memcpy(buf_ + b, tmp, m);
        *entry = found;
        return b + m;
      }
    }
    return 0;
  }

  // Inline for the common chunk, a plain word without punctuation at either end (its own
  // stripped form; '&' of an HTML entity is punctuation); the rest goes to EmitChunk.
  void EmitWord(size_t b, size_t e, bool upper, bool lower) {
    if (b >= e) return;
    const uint8_t caps = (upper && !lower) ? Token::kAllCaps : (upper || lower) ? 0 : Token::kSymbol;
    if ((Class(buf_[b]) | Class(buf_[e - 1])) & kPunct) {
      EmitChunk(b, e, caps);
      return;
    }
    if (e - b == 1 && static_cast<unsigned char>(buf_[b]) < 0x80) {  // "a", "I"
      dropped_ = buf_[b];
      return;
    }
    PushPending(b, e, caps);
  }

  // A chunk with punctuation at an end. Whole chunk known (emoticons, "<3", ":-)"): keep it as
  // it is.
  __attribute__((noinline)) void EmitChunk(size_t b, size_t e, uint8_t caps) {
    uint64_t hash = 0;
    // HTML entities such as "&gt;", "&amp;" or a run of them ("&gt;&gt;"): punctuation, not
    // words.
    bool entity = false;
    while (b < e && buf_[b] == '&' && std::memchr(buf_ + b, ';', e - b)) {
      size_t k = b; while (k < e && buf_[k] != ';') ++k;
      entity = true;
      b = k + 1;
    }
    if (entity && b >= e) { MarkBoundary(false); return; }
    // Whole chunks with punctuation at an end that no key has ("great!", "@bob") skip the lookup.
    const bool may_be_key = !((Class(buf_[b]) | Class(buf_[e - 1])) & kPunct) ||
                            lex_.MayBeEdgeKey(buf_ + b, e - b);
    if (const Entry* whole = may_be_key ? Lookup(buf_ + b, e - b, &hash) : nullptr) {
      uint8_t flags = caps;
      for (size_t k = b; k < e; ++k) {
        const char c = buf_[k];
        if (c != '\'' && c != '-' && text::IsAsciiPunct(static_cast<unsigned char>(c))) {
          flags |= Token::kSymbol;  // an emoticon such as ":D" or "<3"
          break;
        }
      }
      Push(b, e, flags, whole, hash);
      return;
    }
    size_t wb = b, we = e;
    while (wb < we && (Class(buf_[wb]) & kPunct)) ++wb;
    while (we > wb && (Class(buf_[we - 1]) & kPunct)) --we;
    // Trailing punctuation: clause/sentence ends, and an emoticon glued to the word.
    uint8_t trailing = 0;
    bool question = false;
    for (size_t k = (wb == we ? b : we); k < e; ++k) {  // all of a punctuation-only chunk
      trailing |= Class(buf_[k]);
      question |= buf_[k] == '?';
    }
    const bool clause = trailing & kClause, sentence = trailing & kSentence;
    size_t emo_b = 0, emo_e = 0;
    const Entry* emo = nullptr;
    uint64_t emo_hash = 0;
    const bool eyes = trailing & kEyes;  // emoticons have eyes: ":)", ";-(", "=D"
    for (size_t len = std::min<size_t>(e - we, 4); eyes && len >= 2 && we > wb; --len) {
      // "[Florida]:" closes a bracket the chunk opened; that is not an emoticon's mouth.
      const char c0 = buf_[e - len];
      const char opener = c0 == ']' ? '[' : c0 == ')' ? '(' : c0 == '}' ? '{' : 0;
      if (opener && std::memchr(buf_ + b, opener, e - len - b)) continue;
      uint64_t h;
      const Entry* found = Lookup(buf_ + e - len, len, &h);
      if (found && (found->flags & Entry::kValence)) {
        emo = found;
        emo_hash = h;
        emo_b = e - len;
        emo_e = e;
        break;
      }
    }
    if (we - wb == 1 && static_cast<unsigned char>(buf_[wb]) < 0x80) {  // "a", "I"
      dropped_ = buf_[wb];
      wb = we;
    }
    if (wb < we) {
      uint8_t flags = caps;
      if (wb > b && buf_[wb - 1] == '@') flags |= Token::kMention;
      PushPending(wb, we, flags);
    }
    if (emo) Push(emo_b, emo_e, Token::kSymbol, emo, emo_hash);
    if (clause) MarkBoundary(sentence);
    if (question && out_.count) {
      out_.tokens[out_.count - 1].flags |= Token::kQuestion;
      out_.has_question = true;
    }
  }

  // A word token whose lookup waits for Resolve(): prefetching every token's slot first lets
  // the memory accesses of a message overlap.
  void PushPending(size_t wb, size_t we, uint8_t flags) {
    // Ends in "n't": one compare of the last three bytes (a shorter word reads from wb on,
    // inside the buffer's slack, and is masked out by its length).
    uint32_t last;
    std::memcpy(&last, buf_ + (we - wb >= 3 ? we - 3 : wb), 4);
    const bool nt = ((last & 0xFFFFFF) == ('n' | '\'' << 8 | 't' << 16)) & (we - wb >= 3);
    flags |= static_cast<uint8_t>(nt) * Token::kNegatedForm;
    const uint64_t h = Lexicon::WordHashPadded(buf_ + wb, we - wb);
    lex_.Prefetch(Lexicon::Finish(Lexicon::Combine(Lexicon::kSeed, h)));
    Push(wb, we, flags, nullptr, h);
    out_.tokens[out_.count - 1].pending = true;
  }

  // Looks up the words EmitWord deferred; on a miss tries the elongated and inflected forms.
  // Lists the tokens that have an entry.
  void Resolve() {
    size_t hits = 0;
    for (size_t i = 0; i < out_.count; ++i) {
      Token& t = out_.tokens[i];
      if (t.pending) ResolvePending(t);
      t.rule = t.entry;
      out_.hits[hits] = static_cast<uint32_t>(i);
      hits += t.entry != nullptr;
    }
    out_.hit_count = hits;
  }

  void ResolvePending(Token& t) {
    t.pending = false;
    t.entry = lex_.FindPadded(t.view(), Lexicon::Finish(Lexicon::Combine(Lexicon::kSeed, t.hash)));
    if (t.entry) return;
    const size_t b = static_cast<size_t>(t.p - buf_), e = b + t.len;
    if (t.len >= 3) {
      const Entry* collapsed = nullptr;
      uint64_t ch;
      if (const size_t ne = Collapse(b, e, &collapsed, &ch)) {
        t.len = static_cast<uint32_t>(ne - b);
        t.entry = collapsed;
        t.hash = ch;
        t.flags |= Token::kElongated;
        return;
      }
    }
    t.entry = Inflected(t.p, t.len);
  }

  const Lexicon& lex_;
  char* buf_;
  size_t o_ = 0;
  char dropped_ = 0;
  TokenizedText out_;
};

}  // namespace

TokenizedText Tokenize(std::string_view text, const Lexicon& lexicon, char* buf, Token* tokens,
                       uint32_t* hits) {
  return Builder(lexicon, buf, tokens, hits).Run(text);
}

}  // namespace deskhook::sentiment
