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

  // A built table as three byte strings (pool, entries, slots), so that a build step can compile
  // the built-in dictionary into the binary and Create() only copies it. The image is only valid
  // for the same build (struct layout and hash function).
  struct Image {
    std::string_view pool, entries, slots;
  };
  void Save(std::string* pool, std::string* entries, std::string* slots) const;
  // Replaces the contents with an image from Save(), without copying: the image must outlive
  // the Lexicon (the compiled-in one does). Adding rules later copies it first. Returns false if
  // it is malformed.
  bool Load(const Image& image);
  // `key` must already be normalised (NormalizeKey). Returns nullptr when absent.
  const Entry* Find(std::string_view key) const {
    return FindHashed(key, Hash(key));
  }
  const Entry* FindHashed(std::string_view key, uint64_t hash) const {
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
        if (e.key_len == key.size() && KeyEquals(e, key)) return &e.entry;
      }
      i = (i + 1) & mask_;
    }
  }
  size_t size() const { return ventries_n_; }
  void Prefetch(uint64_t hash) const {
    const uint32_t tag = static_cast<uint32_t>(hash >> 32) | 1u;
    __builtin_prefetch(&filter_[FilterBit(tag) >> 6]);
    __builtin_prefetch(&vslots_[hash & mask_]);
  }

  // Keys hash word by word, so a phrase's hash is built from its tokens' hashes without
  // rehashing bytes: KeyHash("a b") == Finish(Combine(Combine(kSeed, WordHash("a")), WordHash("b"))).
  static constexpr uint64_t kSeed = 0x9E3779B97F4A7C15ull;
  static uint64_t WordHash(const char* p, size_t n) {
    uint64_t h = kSeed ^ (n * 0xff51afd7ed558ccdull);
    while (n > 8) {
      uint64_t v;
      std::char_traits<char>::copy(reinterpret_cast<char*>(&v), p, 8);
      h = (h ^ v) * 0xc4ceb9fe1a85ec53ull;
      h ^= h >> 32;
      p += 8;
      n -= 8;
    }
    uint64_t v;
    if (n >= 4) {  // two overlapping 4-byte loads cover 4..8 bytes
      uint32_t lo, hi;
      std::char_traits<char>::copy(reinterpret_cast<char*>(&lo), p, 4);
      std::char_traits<char>::copy(reinterpret_cast<char*>(&hi), p + n - 4, 4);
      v = (static_cast<uint64_t>(hi) << 32) | lo;
    } else if (n > 0) {
      const auto* u = reinterpret_cast<const unsigned char*>(p);
      v = (static_cast<uint64_t>(u[0]) << 16) | (static_cast<uint64_t>(u[n >> 1]) << 8) | u[n - 1];
    } else {
      v = 0;
    }
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
  bool KeyEquals(const Stored& e, std::string_view key) const {
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
  // negatives, about 9% false positives at 24,000 keys. Built from the slots, so a loaded image
  // needs no rehashing.
  static constexpr size_t kFilterBits = size_t{1} << 18;  // 32 KiB
  static size_t FilterBit(uint32_t tag) { return (tag >> 1) & (kFilterBits - 1); }
  bool MayContain(uint32_t tag) const {
    const size_t b = FilterBit(tag);
    return (filter_[b >> 6] >> (b & 63)) & 1;
  }
  void FilterAdd(uint32_t tag) {
    const size_t b = FilterBit(tag);
    filter_[b >> 6] |= uint64_t{1} << (b & 63);
  }
  void RebuildFilter();
  Entry& Upsert(std::string_view normalized_key);
  void MarkPhrase(std::string_view normalized_key);

  void Grow();

  void Own();   // copies a loaded image into the vectors before a change
  void Sync();  // points the views at the vectors

  // Lookups read through these views: the vectors below, or a loaded image.
  const Slot* vslots_ = nullptr;
  const Stored* ventries_ = nullptr;
  const char* vpool_ = nullptr;
  size_t ventries_n_ = 0;
  bool viewing_image_ = false;
  size_t image_pool_size_ = 0;

  std::string pool_;
  std::vector<Stored> entries_;
  std::vector<Slot> slots_;  // load factor <= 3/4
  std::vector<uint64_t> filter_ = std::vector<uint64_t>(kFilterBits / 64);
  size_t mask_ = 0;
};

}  // namespace deskhook::sentiment
