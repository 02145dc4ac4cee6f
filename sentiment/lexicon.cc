#include "sentiment/lexicon.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "sentiment/text.h"

namespace deskhook::sentiment {
namespace {

constexpr size_t kMaxPhraseWords = 8;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool ParseFloat(std::string_view s, float* out) {
  s = Trim(s);
  if (s.empty()) return false;
  std::string tmp(s);
  char* end = nullptr;
  const float v = std::strtof(tmp.c_str(), &end);
  if (end != tmp.c_str() + tmp.size() || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

// Expands "(a|b) c (d|(e|f) g)" into every variant; groups nest. A parenthesis that does not
// open a group with a '|' at its own level is literal text (emoticons such as ":(").
bool Expand(std::string_view pattern, std::vector<std::string>* out) {
  size_t open = pattern.find('(');
  while (open != std::string_view::npos) {
    // Matching ')' and the top-level '|' positions inside the group.
    int depth = 0;
    size_t close = std::string_view::npos;
    std::vector<size_t> bars;
    for (size_t k = open; k < pattern.size(); ++k) {
      if (pattern[k] == '(') ++depth;
      else if (pattern[k] == ')' && --depth == 0) { close = k; break; }
      else if (pattern[k] == '|' && depth == 1) bars.push_back(k);
    }
    if (close != std::string_view::npos && !bars.empty()) {
      const std::string head(pattern.substr(0, open));
      std::vector<std::string> tails;
      if (!Expand(pattern.substr(close + 1), &tails)) return false;
      bars.push_back(close);
      size_t from = open + 1;
      for (size_t bar : bars) {
        std::vector<std::string> alts;
        if (!Expand(pattern.substr(from, bar - from), &alts)) return false;
        for (const auto& a : alts) {
          for (const auto& t : tails) out->push_back(head + a + t);
        }
        from = bar + 1;
      }
      return true;
    }
    open = pattern.find('(', open + 1);
  }
  out->emplace_back(pattern);
  return true;
}

size_t CountWords(std::string_view key) {
  size_t words = key.empty() ? 0 : 1;
  for (char c : key) words += (c == ' ');
  return words;
}

}  // namespace

const char* SignalName(int signal) {
  switch (signal) {
    case kFrustration: return "frustration";
    case kChurnRisk: return "churn_risk";
    case kWantsHuman: return "wants_human";
    case kUrgency: return "urgency";
  }
  return "valence";
}

Lexicon::Lexicon() {
  alignas(64) static const Filters kNoFilters{};
  static const Slot kNoSlots[1] = {};
  vfilters_ = &kNoFilters;
  vslots_ = kNoSlots;
  mask_ = 0;
}

void Lexicon::Sync() {
  vfilters_ = filters_.get();
  vslots_ = slots_.data();
  ventries_ = entries_.data();
  vpool_ = pool_.data();
  ventries_n_ = entries_.size();
  viewing_image_ = false;
}

void Lexicon::Own() {
  if (viewing_image_) {
    pool_.assign(vpool_, image_pool_size_);
    entries_.assign(ventries_, ventries_ + ventries_n_);
    slots_.assign(vslots_, vslots_ + mask_ + 1);
    filters_ = std::make_unique<Filters>(*vfilters_);
  } else if (slots_.empty()) {
    slots_.assign(1 << 14, Slot{});
    mask_ = slots_.size() - 1;
    filters_ = std::make_unique<Filters>();
  } else {
    return;
  }
  Sync();
}

std::string Lexicon::NormalizeKey(std::string_view s) {
  std::string buf(s.size(), '\0');
  bool up = false, low = false;
  buf.resize(text::NormalizeInto(s, buf.data(), &up, &low));
  std::string out;
  out.reserve(buf.size());
  for (char c : buf) {
    const bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r';
    if (space) {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  // The tokenizer drops one-character ASCII words ("a", "I"), as VADER does; keys drop them too
  // so that "talk to a human" matches "talk to human" and "I want a refund" matches "want refund".
  std::string kept;
  kept.reserve(out.size());
  size_t start = 0;
  while (start <= out.size()) {
    size_t end = out.find(' ', start);
    if (end == std::string::npos) end = out.size();
    const std::string_view word(out.data() + start, end - start);
    const bool short_ascii = word.size() == 1 && static_cast<unsigned char>(word[0]) < 0x80;
    if (!word.empty() && !short_ascii) {
      if (!kept.empty()) kept.push_back(' ');
      kept.append(word);
    }
    start = end + 1;
  }
  // A key that is only one short word (an operator's "x") is kept as is.
  return kept.empty() ? out : kept;
}

void Lexicon::Grow() {
  std::vector<Slot> old;
  old.swap(slots_);
  slots_.assign(old.size() * 2, Slot{});
  mask_ = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.tag == 0) continue;
    const Stored& e = entries_[s.index];
    const uint64_t h = Hash(std::string_view(pool_.data() + e.key_off, e.key_len));
    size_t i = h & mask_;
    while (slots_[i].tag != 0) i = (i + 1) & mask_;
    slots_[i] = s;
  }
  Sync();
}

Entry& Lexicon::Upsert(std::string_view key) {
  Own();
  const uint64_t h = Hash(key);
  if (const Entry* found = FindHashed(key, h)) return const_cast<Entry&>(*found);
  if ((entries_.size() + 1) * 4 > slots_.size() * 3) Grow();  // load factor <= 3/4
  Stored st;
  st.key_off = static_cast<uint32_t>(pool_.size());
  st.key_len = static_cast<uint32_t>(key.size());
  st.entry.words = static_cast<uint8_t>(std::min(CountWords(key), kMaxPhraseWords));
  std::char_traits<char>::copy(st.head, key.data(), std::min(key.size(), sizeof(st.head)));
  pool_.append(key);
  entries_.push_back(st);
  Sync();
  size_t i = h & mask_;
  while (slots_[i].tag != 0) i = (i + 1) & mask_;
  slots_[i] = Slot{static_cast<uint32_t>(h >> 32) | 1u, static_cast<uint32_t>(entries_.size() - 1)};
  FilterAdd(slots_[i].tag, key);
  return entries_.back().entry;
}

void Lexicon::MarkPhrase(std::string_view key) {
  const size_t words = CountWords(key);
  if (words < 2) return;
  {
    Entry& first = Upsert(key.substr(0, key.find(' ')));
    first.flags |= Entry::kPhraseStart;
    first.max_phrase_words = static_cast<uint8_t>(std::max<size_t>(first.max_phrase_words, words));
  }
  // Every proper prefix is marked, so matching can extend a phrase one token at a time and stop
  // at the first key that no phrase continues.
  for (size_t sp = key.find(' '); sp != std::string_view::npos; sp = key.find(' ', sp + 1)) {
    Upsert(key.substr(0, sp)).flags |= Entry::kPrefix;
  }
}

void Lexicon::FilterAdd(uint32_t tag, std::string_view key) {
  const size_t b = FilterBit(tag);
  filters_->tags[b >> 6] |= uint64_t{1} << (b & 63);
  if (!key.empty() && (text::IsAsciiPunct(static_cast<unsigned char>(key.front())) ||
                       text::IsAsciiPunct(static_cast<unsigned char>(key.back())))) {
    const size_t e = EdgeBit(key.data(), key.size());
    filters_->edges[e >> 6] |= uint64_t{1} << (e & 63);
  }
}

void Lexicon::Save(std::string* pool, std::string* entries, std::string* slots,
                   std::string* filters) const {
  pool->assign(vpool_, viewing_image_ ? image_pool_size_ : pool_.size());
  entries->assign(reinterpret_cast<const char*>(ventries_), ventries_n_ * sizeof(Stored));
  slots->assign(reinterpret_cast<const char*>(vslots_), (mask_ + 1) * sizeof(Slot));
  filters->assign(reinterpret_cast<const char*>(vfilters_), sizeof(Filters));
}

bool Lexicon::Load(const Image& image) {
  const size_t n_slots = image.slots.size() / sizeof(Slot);
  if (image.entries.size() % sizeof(Stored) != 0 || image.slots.size() % sizeof(Slot) != 0 ||
      n_slots == 0 || (n_slots & (n_slots - 1)) != 0 || image.filters.size() != sizeof(Filters) ||
      reinterpret_cast<uintptr_t>(image.filters.data()) % alignof(Filters) != 0 ||
      reinterpret_cast<uintptr_t>(image.entries.data()) % alignof(Stored) != 0 ||
      reinterpret_cast<uintptr_t>(image.slots.data()) % alignof(Slot) != 0) {
    return false;
  }
  pool_.clear();
  entries_.clear();
  slots_.clear();
  filters_.reset();
  vpool_ = image.pool.data();
  image_pool_size_ = image.pool.size();
  ventries_ = reinterpret_cast<const Stored*>(image.entries.data());
  ventries_n_ = image.entries.size() / sizeof(Stored);
  vslots_ = reinterpret_cast<const Slot*>(image.slots.data());
  vfilters_ = reinterpret_cast<const Filters*>(image.filters.data());
  mask_ = n_slots - 1;
  viewing_image_ = true;
  return true;
}

bool Lexicon::LoadRules(std::string_view data, std::string_view name, std::string* error) {
  size_t line_no = 0;
  auto fail = [&](const std::string& why) {
    if (error) *error = std::string(name) + ":" + std::to_string(line_no) + ": " + why;
    return false;
  };
  while (!data.empty()) {
    const size_t nl = data.find('\n');
    std::string_view line = data.substr(0, nl);
    data = nl == std::string_view::npos ? std::string_view() : data.substr(nl + 1);
    ++line_no;
    if (Trim(line).empty() || Trim(line).front() == '#') continue;
    const size_t t1 = line.find('\t');
    const size_t t2 = t1 == line.npos ? line.npos : line.find('\t', t1 + 1);
    if (t1 == line.npos) return fail("expected kind<TAB>value<TAB>term or term<TAB>valence");
    std::string_view kind, value, term;
    if (t2 == line.npos) {  // VADER style: term<TAB>valence
      kind = "valence";
      term = Trim(line.substr(0, t1));
      value = Trim(line.substr(t1 + 1));
    } else {
      kind = Trim(line.substr(0, t1));
      value = Trim(line.substr(t1 + 1, t2 - t1 - 1));
      term = Trim(line.substr(t2 + 1));
    }
    if (term.empty()) return fail("empty term");
    float v = 0;
    uint16_t flag = 0;
    int signal = -1;
    if (kind == "valence" || kind == "booster") {
      if (!ParseFloat(value, &v) || std::fabs(v) > 4.5f) return fail("bad value '" + std::string(value) + "'");
      flag = kind == "valence" ? Entry::kValence : Entry::kBooster;
    } else if (kind == "negator") {
      flag = Entry::kNegator;
    } else if (kind == "contrast") {
      flag = Entry::kContrast;
    } else if (kind == "concession") {
      flag = Entry::kConcession;
    } else if (kind == "interjection") {
      flag = Entry::kInterjection;
    } else {
      for (int s = 0; s < kSignalCount; ++s) {
        if (kind == SignalName(s)) signal = s;
      }
      if (signal < 0) return fail("unknown kind '" + std::string(kind) + "'");
      if (!ParseFloat(value, &v) || v < 0 || v > 1) return fail("signal weight must be in [0,1]");
      flag = Entry::kSignal;
    }
    std::vector<std::string> variants;
    if (!Expand(term, &variants)) return fail("unbalanced '(' in term");
    for (const auto& variant : variants) {
      const std::string key = NormalizeKey(variant);
      if (key.empty()) continue;
      if (CountWords(key) > kMaxPhraseWords) return fail("phrase longer than 8 words");
      Entry& e = Upsert(key);
      e.flags |= flag;
      if (flag == Entry::kValence) e.valence = v;
      if (flag == Entry::kBooster) e.booster = v;
      if (signal >= 0) e.signal_q[signal] = static_cast<uint8_t>(std::lround(v * 255));
      MarkPhrase(key);
    }
  }
  return true;
}

bool Lexicon::LoadVader(std::string_view data, std::string* error) {
  // Two passes: lower-case keys first, then keys with capitals only where no lower-case twin.
  for (int pass = 0; pass < 2; ++pass) {
    std::string_view rest = data;
    size_t line_no = 0;
    while (!rest.empty()) {
      const size_t nl = rest.find('\n');
      const std::string_view line = rest.substr(0, nl);
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
      ++line_no;
      const size_t t1 = line.find('\t');
      if (Trim(line).empty()) continue;
      if (t1 == line.npos) {
        if (error) *error = "vader_lexicon.txt:" + std::to_string(line_no) + ": no TAB";
        return false;
      }
      const std::string_view token = line.substr(0, t1);
      const size_t t2 = line.find('\t', t1 + 1);
      float v;
      if (!ParseFloat(line.substr(t1 + 1, t2 == line.npos ? line.npos : t2 - t1 - 1), &v)) {
        if (error) *error = "vader_lexicon.txt:" + std::to_string(line_no) + ": bad valence";
        return false;
      }
      bool capitals = false;
      for (char c : token) capitals |= (c >= 'A' && c <= 'Z');
      if (capitals != (pass == 1)) continue;
      const std::string key = NormalizeKey(token);
      if (key.empty()) continue;
      if (pass == 1) {
        const Entry* existing = Find(key);
        if (existing && (existing->flags & Entry::kValence)) continue;
      }
      Entry& e = Upsert(key);
      e.flags |= Entry::kValence;
      e.valence = v;
      MarkPhrase(key);
    }
  }
  return true;
}

}  // namespace deskhook::sentiment
