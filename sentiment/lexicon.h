// The scorer's dictionary: one open-addressing hash table over lower-cased, normalised keys
// (single tokens and space-joined phrases) built once from the embedded data and the operator's
// file. Lookups take a string_view and never allocate.
//
// Data format (the embedded sentiment/data/*.tsv files and operators' files alike), one rule per
// line, '#' starts a comment line, fields separated by TABs:
//   valence      <float -4..4>   <term or phrase>     sentiment-bearing word, phrase, emoji
//   booster      <float>         <term or phrase>     degree adverb: + boosts, - dampens
//   negator      -               <term or phrase>     flips the following sentiment words
//   contrast     -               <term>               "but": what follows outweighs what precedes
//   concession   -               <term or phrase>     "although": the clause it opens is discounted
//   interjection -               <term>               "lol": not reached by negators or boosters
//   frustration|churn_risk|wants_human|urgency  <weight 0..1>  <phrase>
// Phrases may use "(a|b|c)" groups; each group expands to one variant per alternative
// ("cancel (my|the) (plan|account)" is four phrases). The VADER lexicon file (token<TAB>mean<TAB>
// ...) is loaded with LoadVader.
//
// Thread-safety: immutable after loading; lookups are safe from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace deskhook::sentiment {

enum Signal : uint8_t { kFrustration = 0, kChurnRisk, kWantsHuman, kUrgency, kSignalCount };
const char* SignalName(int signal);

struct Entry {
  enum Flags : uint16_t {
    kValence = 1 << 0,
    kBooster = 1 << 1,
    kNegator = 1 << 2,
    kContrast = 1 << 3,
    kConcession = 1 << 4,
    kSignal = 1 << 5,       // signal[] holds weights
    kPhraseStart = 1 << 6,  // some phrase of >= 2 tokens starts with this token
    kPrefix = 1 << 7,       // some longer phrase starts with this key's tokens
    kInterjection = 1 << 8, // "lol", "haha": outside the sentence, never negated or boosted
  };
  uint16_t flags = 0;
  uint8_t words = 1;            // tokens in the key
  uint8_t max_phrase_words = 0; // longest phrase starting with this token (if kPhraseStart)
  float valence = 0;
  float booster = 0;
  uint8_t signal_q[kSignalCount] = {0, 0, 0, 0};  // signal weights in 1/255 steps (kSignal)
  float signal(int s) const { return signal_q[s] / 255.f; }
};

class Lexicon {
 public:
  Lexicon();

  // Adds rules in the format above. Returns false and sets *error ("name:line: why") on a bad line.
  bool LoadRules(std::string_view text, std::string_view name, std::string* error);
  // Adds the VADER lexicon ("token<TAB>mean<TAB>..."). Keys that differ only in case keep the
  // all-lower-case entry (VADER itself looks up lower-cased tokens only).
  bool LoadVader(std::string_view text, std::string* error);

  // A built table as four byte strings (pool, entries, slots, filters), so that a build step can
  // compile the built-in dictionary into the binary and Create() uses it in place. The image is
  // only valid for the same build (struct layout and hash function).
  struct Image {
    std::string_view pool, entries, slots, filters;
  };
  void Save(std::string* pool, std::string* entries, std::string* slots,
            std::string* filters) const;
  // Replaces the contents with an image from Save(), without copying or touching it (a process
  // that scores one line reads only the pages its lookups need): the image must outlive the
  // Lexicon (the compiled-in one does). Adding rules later copies it first. Returns false if it
  // is malformed.
  bool Load(const Image& image);
  // `key` must already be normalised (NormalizeKey). Returns nullptr when absent.
  const Entry* Find(std::string_view key) const {
    return FindHashed(key, Hash(key));
  }
  const Entry* FindHashed(std::string_view key, uint64_t hash) const {
    return FindImpl<false>(key, hash);
  }
  // FindHashed for a key whose buffer has 8 readable bytes from key.data() (the tokenizer's
  // buffer and keys): keys of up to 8 bytes compare as one word.
  const Entry* FindPadded(std::string_view key, uint64_t hash) const {
    return FindImpl<true>(key, hash);
  }
  template <bool kPadded>
  const Entry* FindImpl(std::string_view key, uint64_t hash) const {
    const uint32_t tag = static_cast<uint32_t>(hash >> 32) | 1u;
    // Most tokens are not in the dictionary: a filter small enough for the L1/L2 cache answers
    // most of those without touching the slot table.
    if (!MayContain(tag)) return nullptr;
    size_t i = hash & mask_;
    for (;;) {
      const Slot& s = vslots_[i];
      if (s.tag == 0) return nullptr;
      if (s.tag == tag) {
        const Stored& e = ventries_[s.index];
        if (e.key_len == key.size() && KeyEquals<kPadded>(e, key)) return &e.entry;
      }
      i = (i + 1) & mask_;
    }
  }
  // False when no key has this hash (FindHashed would return nullptr); reads only the filter.
  bool MayContainHash(uint64_t hash) const {
    return MayContain(static_cast<uint32_t>(hash >> 32) | 1u);
  }
  size_t size() const { return ventries_n_; }
  void Prefetch(uint64_t hash) const {
    const uint32_t tag = static_cast<uint32_t>(hash >> 32) | 1u;
    __builtin_prefetch(&vfilters_->tags[FilterBit(tag) >> 6]);
    __builtin_prefetch(&vslots_[hash & mask_]);
  }

  // Keys hash word by word, so a phrase's hash is built from its tokens' hashes without
  // rehashing bytes: KeyHash("a b") == Finish(Combine(Combine(kSeed, WordHash("a")), WordHash("b"))).
  static constexpr uint64_t kSeed = 0x9E3779B97F4A7C15ull;
  // Eight bytes at a time; the last one to eight bytes are read zero-padded.
  static uint64_t WordHash(const char* p, size_t n) {
    uint64_t h = kSeed ^ (n * 0xff51afd7ed558ccdull);
    while (n > 8) {
      h = Mix(h, Load8(p));
      p += 8;
      n -= 8;
    }
    uint64_t v = 0;
    if (n >= 4) {  // two overlapping 4-byte loads cover 4..8 bytes
      uint32_t lo, hi;
      std::char_traits<char>::copy(reinterpret_cast<char*>(&lo), p, 4);
      std::char_traits<char>::copy(reinterpret_cast<char*>(&hi), p + n - 4, 4);
      v = lo | (static_cast<uint64_t>(hi) << (8 * (n - 4)));
    } else {
      for (size_t k = 0; k < n; ++k) v |= static_cast<uint64_t>(static_cast<unsigned char>(p[k])) << (8 * k);
    }
    return Last(h, v);
  }
  // The same hash as WordHash without branching on the length.
  // REQUIRES: the 7 bytes after p[n - 1] are readable (their values do not matter).
  static uint64_t WordHashPadded(const char* p, size_t n) {
    uint64_t h = kSeed ^ (n * 0xff51afd7ed558ccdull);
    while (n > 8) {
      h = Mix(h, Load8(p));
      p += 8;
      n -= 8;
    }
    // n is 0..8 here; the mask keeps its n low bytes (a shift by 64 would be undefined).
    const uint64_t mask = n == 0 ? 0 : ~uint64_t{0} >> (64 - 8 * n);
    return Last(h, Load8(p) & mask);
  }
  static uint64_t Load8(const char* p) {
    uint64_t v;
    std::char_traits<char>::copy(reinterpret_cast<char*>(&v), p, 8);
    return v;
  }
  static uint64_t Mix(uint64_t h, uint64_t v) {
    h = (h ^ v) * 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 32);
  }
  static uint64_t Last(uint64_t h, uint64_t v) {
    h = (h ^ v) * 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 29);
  }
  static uint64_t Combine(uint64_t h, uint64_t word_hash) {
    h = ((h << 23) | (h >> 41)) ^ word_hash;
    return h * 0x9FB21C651E98DF25ull;
  }
  static uint64_t Finish(uint64_t h) { return h ^ (h >> 31); }
  static uint64_t KeyHash(std::string_view key) {
    uint64_t h = kSeed;
    size_t start = 0;
    for (;;) {
      const size_t sp = key.find(' ', start);
      const size_t end = sp == std::string_view::npos ? key.size() : sp;
      h = Combine(h, WordHash(key.data() + start, end - start));
      if (sp == std::string_view::npos) break;
      start = sp + 1;
    }
    return Finish(h);
  }
  static uint64_t Hash(std::string_view key) { return KeyHash(key); }

  // False when no single-token key has these bytes, given that the first or the last of them is
  // ASCII punctuation (":)", "great!", "@user"): most such chunks are words with punctuation
  // around them, and this answers without hashing them.
  bool MayBeEdgeKey(const char* p, size_t n) const {
    const size_t b = EdgeBit(p, n);
    return (vfilters_->edges[b >> 6] >> (b & 63)) & 1;
  }

  // Lower-cases, maps typographic apostrophes to ' and collapses runs of spaces; the same
  // normalisation the tokenizer applies to text.
  static std::string NormalizeKey(std::string_view s);

 private:
  // 32 bytes: keys of up to 8 bytes (most words) compare without touching the pool.
  struct Stored {
    char head[8] = {};  // the key's first 8 bytes, zero-padded
    uint32_t key_off = 0;
    uint32_t key_len = 0;
    Entry entry;
  };
  template <bool kPadded>
  bool KeyEquals(const Stored& e, std::string_view key) const {
    if (kPadded && key.size() <= sizeof(e.head)) {
      const uint64_t mask = key.empty() ? 0 : ~uint64_t{0} >> (64 - 8 * key.size());
      return Load8(e.head) == (Load8(key.data()) & mask);  // head is zero-padded
    }
    if (key.size() <= sizeof(e.head)) {
      // Inline: a call to memcmp for a few bytes costs more than the comparison.
      for (size_t k = 0; k < key.size(); ++k) {
        if (e.head[k] != key[k]) return false;
      }
      return true;
    }
    return std::char_traits<char>::compare(vpool_ + e.key_off, key.data(), key.size()) == 0;
  }
  struct Slot {
    uint32_t tag = 0;  // 0 = empty
    uint32_t index = 0;
  };
  // Membership filter over the slots' tags (one bit per tag value modulo kFilterBits): no false
  // negatives, about 9% false positives at 24,000 keys. `edges`: one bit per (length, first
  // byte, last byte) of the keys with ASCII punctuation at an end (MayBeEdgeKey).
  static constexpr size_t kFilterBits = size_t{1} << 18;  // 32 KiB
  static constexpr size_t kEdgeBits = 4096;
  struct Filters {
    uint64_t tags[kFilterBits / 64];
    uint64_t edges[kEdgeBits / 64];
  };
  static size_t FilterBit(uint32_t tag) { return (tag >> 1) & (kFilterBits - 1); }
  static size_t EdgeBit(const char* p, size_t n) {
    const auto first = static_cast<unsigned char>(p[0]), last = static_cast<unsigned char>(p[n - 1]);
    return (n * 0x9E5 + first * 0x3B + last) & (kEdgeBits - 1);
  }
  bool MayContain(uint32_t tag) const {
    const size_t b = FilterBit(tag);
    return (vfilters_->tags[b >> 6] >> (b & 63)) & 1;
  }
  void FilterAdd(uint32_t tag, std::string_view key);
  Entry& Upsert(std::string_view normalized_key);
  void MarkPhrase(std::string_view normalized_key);

  void Grow();

  void Own();   // copies a loaded image into the vectors (or allocates them) before a change
  void Sync();  // points the views at the vectors

  // Lookups read through these views: the vectors below, or a loaded image. An empty Lexicon
  // allocates nothing: its views point at one static empty slot and zero filters.
  const Filters* vfilters_ = nullptr;
  const Slot* vslots_ = nullptr;
  const Stored* ventries_ = nullptr;
  const char* vpool_ = nullptr;
  size_t ventries_n_ = 0;
  bool viewing_image_ = false;
  size_t image_pool_size_ = 0;

  std::string pool_;
  std::vector<Stored> entries_;
  std::vector<Slot> slots_;  // load factor <= 3/4
  std::unique_ptr<Filters> filters_;
  size_t mask_ = 0;
};

}  // namespace deskhook::sentiment
