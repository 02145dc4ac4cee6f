#include "host/faq/question_text.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <unordered_set>

#include <libstemmer.h>

namespace deskhook::faq {
namespace {

bool IsWordByte(unsigned char c) { return std::isalnum(c) || c == '\'' || c >= 0x80; }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::vector<std::string> Lines(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '\n') {
      std::string line(s.substr(start, i - start));
      if (!line.empty() && line.back() == '\r') line.pop_back();
      out.push_back(std::move(line));
      start = i + 1;
    }
  }
  return out;
}

std::vector<std::string> LowerWords(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  for (unsigned char c : s) {
    if (IsWordByte(c)) {
      cur.push_back(static_cast<char>(std::tolower(c)));
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// Words that open a greeting; the greeting runs to the first ',', '!', '-', ':' or newline when
// it is short (a name or "team"/"support" may follow).
const std::unordered_set<std::string>& GreetingWords() {
  static const std::unordered_set<std::string> s = {"hi", "hello", "hey", "dear", "hiya",
                                                     "greetings", "good", "yo", "howdy"};
  return s;
}
const std::unordered_set<std::string>& GreetingFollowers() {
  static const std::unordered_set<std::string> s = {
      "there", "team", "support", "all", "guys", "folks", "everyone", "morning", "afternoon",
      "evening", "day", "sir", "madam", "sirs", "customer", "service", "helpdesk", "help", "desk"};
  return s;
}
// A line (or trailing sentence) that is only a sign-off, possibly with a name after it.
const std::vector<std::string>& SignOffs() {
  static const std::vector<std::string> s = {
      "thanks", "thank you", "thx", "ty", "many thanks", "thanks in advance", "regards",
      "kind regards", "best regards", "warm regards", "best", "cheers", "sincerely",
      "yours sincerely", "yours truly", "all the best", "br", "kr", "thanks a lot",
      "thank you very much", "thanks so much", "much appreciated", "appreciate it"};
  return s;
}

// True when `text` (lower-case) is a sign-off phrase optionally followed by up to 3 name words.
bool IsSignOff(std::string_view text) {
  std::vector<std::string> words = LowerWords(text);
  if (words.empty() || words.size() > 7) return false;
  for (const auto& phrase : SignOffs()) {
    std::vector<std::string> pw = LowerWords(phrase);
    if (pw.size() > words.size()) continue;
    if (!std::equal(pw.begin(), pw.end(), words.begin())) continue;
    size_t rest = words.size() - pw.size();
    if (rest <= 3) return true;
  }
  return false;
}

// Removes a leading greeting: "Hi," "Hello team -" "Good morning support:" "Hey John!".
std::string StripGreeting(const std::string& text) {
  size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  size_t word_end = i;
  while (word_end < text.size() && std::isalpha(static_cast<unsigned char>(text[word_end]))) ++word_end;
  std::string first = Lower(text.substr(i, word_end - i));
  if (!GreetingWords().count(first)) return text;
  if (first == "good") {  // only "good morning/afternoon/evening/day"
    std::vector<std::string> w = LowerWords(text.substr(word_end, 20));
    if (w.empty() || !GreetingFollowers().count(w[0])) return text;
  }
  // The greeting ends at the first punctuation mark within a few words.
  size_t j = word_end;
  int words = 0;
  bool in_word = false;
  while (j < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[j]);
    if (c == ',' || c == '!' || c == '-' || c == ':' || c == '\n' || c == '.' || c == ';') {
      return Trim(text.substr(j + 1));
    }
    if (std::isalnum(c) || c == '\'') {
      if (!in_word) ++words;
      in_word = true;
    } else {
      in_word = false;
    }
    if (words > 3) break;
    ++j;
  }
  if (j >= text.size()) return "";  // nothing but a greeting
  // No punctuation: drop the greeting word plus known followers ("hi team how do I ...").
  std::string rest = text.substr(word_end);
  for (;;) {
    size_t k = 0;
    while (k < rest.size() && std::isspace(static_cast<unsigned char>(rest[k]))) ++k;
    size_t e = k;
    while (e < rest.size() && std::isalpha(static_cast<unsigned char>(rest[e]))) ++e;
    if (e == k || !GreetingFollowers().count(Lower(rest.substr(k, e - k)))) break;
    rest = rest.substr(e);
  }
  return Trim(rest);
}

// Removes a trailing sign-off sentence on the same line: "... card? Thanks, John".
std::string StripTrailingSignOff(std::string text) {
  for (int round = 0; round < 2; ++round) {
    // Find the last sentence boundary and test what follows it.
    size_t cut = std::string::npos;
    for (size_t i = text.size(); i-- > 0;) {
      char c = text[i];
      if (c == '.' || c == '?' || c == '!' || c == '\n') {
        if (i + 1 < text.size()) cut = i + 1;
        break;
      }
    }
    if (cut == std::string::npos) {
      // A whole text that is a sign-off is not a question.
      if (IsSignOff(text)) return "";
      break;
    }
    std::string tail = Trim(text.substr(cut));
    if (tail.empty() || !IsSignOff(tail)) break;
    text = Trim(text.substr(0, cut));
  }
  return text;
}

const std::unordered_set<std::string>& StopWords() {
  // English function words. Negations and the question words how/why/when/where are NOT stop
  // words: "card not working" and "when will my card arrive" differ from their positives.
  static const std::unordered_set<std::string> s = {
      "a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are",
      "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but",
      "by", "can", "could", "did", "do", "does", "doing", "down", "during", "each", "few", "for",
      "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "herself",
      "him", "himself", "his", "i", "if", "in", "into", "is", "it", "its", "itself", "me", "more",
      "most", "my", "myself", "of", "off", "on", "once", "only", "or", "other", "ought", "our",
      "ours", "ourselves", "out", "over", "own", "same", "she", "should", "so", "some", "such",
      "than", "that", "the", "their", "theirs", "them", "themselves", "then", "there", "these",
      "they", "this", "those", "through", "to", "too", "under", "until", "up", "very", "was", "we",
      "were", "what", "which", "while", "who", "whom", "with", "would", "you", "your", "yours",
      "yourself", "yourselves", "im", "ive", "id", "ill", "please", "pls", "plz", "hi", "hello",
      "hey", "thanks", "thank", "just", "also", "get", "got", "will", "may", "might", "must",
      "shall", "us", "let", "lets", "one", "still", "yet", "even", "ok", "okay", "u", "ur", "really",
      "need", "want", "like", "know", "help", "way", "anyone", "someone", "something"};
  return s;
}

const std::unordered_set<std::string>& Negations() {
  static const std::unordered_set<std::string> s = {
      "not", "no", "never", "cannot", "cant", "dont", "didnt", "doesnt", "isnt", "wont", "wasnt",
      "havent", "hasnt", "arent", "couldnt", "wouldnt", "shouldnt", "werent", "aint", "nor"};
  return s;
}

// Stems of the stop words: drops "getting", "needed", "helped" like "get", "need", "help".
const std::unordered_set<std::string>& StopStems();

bool EndsWith(const std::string& s, std::string_view suf) {
  return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}


}  // namespace

std::string CleanQuestion(std::string_view message) {
  std::vector<std::string> kept;
  for (const std::string& raw : Lines(message)) {
    std::string line = Trim(raw);
    std::string low = Lower(line);
    if (StartsWith(low, ">")) continue;                                    // quoted line
    if (raw == "-- " || line == "--" || line == "__" || StartsWith(low, "-----original message") ||
        StartsWith(low, "________________") || StartsWith(low, "sent from my") ||
        StartsWith(low, "get outlook for")) {
      break;                                                               // signature / quote
    }
    if (StartsWith(low, "on ") && EndsWith(low, "wrote:")) break;          // "On <date>, X wrote:"
    if (StartsWith(low, "from:") && !kept.empty()) break;                  // forwarded header
    if (!kept.empty() && IsSignOff(line)) break;  // "Thanks," then a name / signature block
    kept.push_back(line);
  }
  // Join and collapse whitespace.
  std::string joined;
  for (const auto& line : kept) {
    if (line.empty()) continue;
    if (!joined.empty()) joined.push_back(' ');
    joined += line;
  }
  std::string collapsed;
  for (char c : joined) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!collapsed.empty() && collapsed.back() != ' ') collapsed.push_back(' ');
    } else {
      collapsed.push_back(c);
    }
  }
  std::string text = StripGreeting(Trim(collapsed));
  text = StripTrailingSignOff(text);
  return Trim(text);
}

std::string Stem(std::string_view word) {
  // An sb_stemmer keeps its working buffer inside, so each thread has its own.
  struct Holder {
    sb_stemmer* stemmer = sb_stemmer_new("english", "UTF_8");
    ~Holder() {
      if (stemmer) sb_stemmer_delete(stemmer);
    }
  };
  thread_local Holder holder;
  if (!holder.stemmer) return std::string(word);  // out of memory: unstemmed still groups
  const sb_symbol* out = sb_stemmer_stem(
      holder.stemmer, reinterpret_cast<const sb_symbol*>(word.data()), static_cast<int>(word.size()));
  if (!out) return std::string(word);
  return std::string(reinterpret_cast<const char*>(out),
                     static_cast<size_t>(sb_stemmer_length(holder.stemmer)));
}

namespace {
const std::unordered_set<std::string>& StopStems() {
  static const std::unordered_set<std::string> s = [] {
    std::unordered_set<std::string> out;
    for (const auto& w : StopWords()) out.insert(Stem(w));
    return out;
  }();
  return s;
}
}  // namespace

Analyzer::Analyzer(AnalyzerOptions options) : options_(options) {}

Status Analyzer::LoadSynonyms(const std::string& path) {
  std::ifstream f(path);
  if (!f) return Status::InvalidArgument("cannot read synonyms file " + path);
  std::stringstream ss;
  ss << f.rdbuf();
  return SetSynonyms(ss.str());
}

Status Analyzer::SetSynonyms(std::string_view text) {
  std::unordered_map<std::string, std::string> table;
  size_t max_words = 1;
  int line_no = 0;
  for (std::string line : Lines(text)) {
    ++line_no;
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    if (Trim(line).empty()) continue;
    std::vector<std::string> entries;
    std::stringstream ss(line);
    std::string item;
    while (std::getline(ss, item, ',')) {
      std::vector<std::string> words = LowerWords(item);
      if (words.empty()) continue;
      std::string joined;
      for (const auto& w : words) joined += (joined.empty() ? "" : " ") + w;
      max_words = std::max(max_words, words.size());
      entries.push_back(joined);
    }
    if (entries.size() < 2) {
      return Status::InvalidArgument("synonyms line " + std::to_string(line_no) +
                                     ": need at least two comma-separated entries");
    }
    if (entries[0].find(' ') != std::string::npos) {
      return Status::InvalidArgument("synonyms line " + std::to_string(line_no) +
                                     ": the first (canonical) entry must be one word");
    }
    for (size_t i = 1; i < entries.size(); ++i) table[entries[i]] = entries[0];
  }
  synonyms_ = std::move(table);
  max_synonym_words_ = max_words;
  return Status::Ok();
}

std::vector<std::string> Analyzer::Words(std::string_view text) const {
  std::vector<std::string> raw = LowerWords(text);
  // Apply synonyms (longest match first) on the raw words.
  std::vector<std::string> words;
  for (size_t i = 0; i < raw.size();) {
    bool matched = false;
    for (size_t n = std::min(max_synonym_words_, raw.size() - i); n >= 1 && !synonyms_.empty(); --n) {
      std::string key = raw[i];
      for (size_t k = 1; k < n; ++k) key += " " + raw[i + k];
      auto it = synonyms_.find(key);
      if (it != synonyms_.end()) {
        words.push_back(it->second);
        i += n;
        matched = true;
        break;
      }
    }
    if (!matched) words.push_back(raw[i++]);
  }
  std::vector<std::string> out;
  for (std::string w : words) {
    // Contractions: "n't" is a negation; "'s", "'m", "'re", "'ve", "'ll", "'d" are dropped.
    if (EndsWith(w, "n't")) {
      out.push_back("not");
      continue;
    }
    if (auto apos = w.find('\''); apos != std::string::npos) w.resize(apos);
    if (w.empty()) continue;
    if (Negations().count(w)) {
      out.push_back("not");
      continue;
    }
    if (StopWords().count(w)) continue;
    std::string stem = Stem(w);
    // Inflections of function words are function words too: "getting", "needed", "wanted".
    if (stem.empty() || StopStems().count(stem)) continue;
    out.push_back(std::move(stem));
  }
  return out;
}

std::vector<std::string> Analyzer::Analyze(std::string_view text) const {
  std::vector<std::string> words = Words(text);
  std::vector<std::string> terms;
  std::unordered_set<std::string> seen;
  for (const auto& w : words) {
    if (seen.insert(w).second) terms.push_back(w);
  }
  if (options_.bigrams) {
    for (size_t i = 0; i + 1 < words.size(); ++i) {
      std::string bg = words[i] + "_" + words[i + 1];
      if (seen.insert(bg).second) terms.push_back(std::move(bg));
    }
  }
  return terms;
}

}  // namespace deskhook::faq
