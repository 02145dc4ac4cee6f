#include <algorithm>
#include <cmath>
#include <fstream>
#include <memory>
#include <sstream>

#include "sentiment/lexicon_image.h"
#include "sentiment/sentiment.h"
#include "sentiment/valence.h"

namespace deskhook::sentiment {
namespace {

// Messages up to this many bytes are scored with stack buffers only.
constexpr size_t kStackBytes = 2048;

// Per-call scratch space: on the stack for short texts, one heap block for long ones.
class Scratch {
 public:
  explicit Scratch(size_t bytes) {
    if (bytes <= kStackBytes) {
      buf_ = stack_buf_;
      tokens_ = reinterpret_cast<Token*>(stack_tokens_raw_);
      valence_ = stack_valence_;
      hits_ = stack_hits_;
    } else {
      heap_buf_ = std::make_unique<char[]>(bytes + kTokenBufferSlack);
      heap_tokens_ = std::make_unique<Token[]>(MaxTokens(bytes));
      heap_valence_ = std::make_unique<float[]>(MaxTokens(bytes));
      heap_hits_ = std::make_unique<uint32_t[]>(MaxTokens(bytes));
      buf_ = heap_buf_.get();
      tokens_ = heap_tokens_.get();
      valence_ = heap_valence_.get();
      hits_ = heap_hits_.get();
    }
  }
  char* buf() { return buf_; }
  Token* tokens() { return tokens_; }
  float* valence() { return valence_; }
  uint32_t* hits() { return hits_; }

 private:
  // Uninitialised on purpose: the tokenizer writes every token it hands out.
  char stack_buf_[kStackBytes + kTokenBufferSlack];
  alignas(Token) unsigned char stack_tokens_raw_[sizeof(Token) * MaxTokens(kStackBytes)];
  float stack_valence_[MaxTokens(kStackBytes)];
  uint32_t stack_hits_[MaxTokens(kStackBytes)];
  std::unique_ptr<char[]> heap_buf_;
  std::unique_ptr<Token[]> heap_tokens_;
  std::unique_ptr<float[]> heap_valence_;
  std::unique_ptr<uint32_t[]> heap_hits_;
  char* buf_;
  Token* tokens_;
  float* valence_;
  uint32_t* hits_;
};

class ScorerImpl final : public Scorer {
 public:
  explicit ScorerImpl(std::shared_ptr<const Lexicon> lex) : lex_(std::move(lex)) {}

  double Compound(std::string_view text) const override {
    Scratch scratch(text.size());
    TokenizedText tt = Tokenize(text, *lex_, scratch.buf(), scratch.tokens(), scratch.hits());
    return ScoreValence(*lex_, tt, scratch.valence(), nullptr).compound;
  }

  MessageScore Score(std::string_view text) const override {
    Scratch scratch(text.size());
    TokenizedText tt = Tokenize(text, *lex_, scratch.buf(), scratch.tokens(), scratch.hits());
    std::vector<int> negated_from(tt.count, -1);
    const ValenceResult v = ScoreValence(*lex_, tt, scratch.valence(), negated_from.data());
    MessageScore out;
    out.compound = v.compound;
    out.pos = v.pos;
    out.neg = v.neg;
    out.neu = tt.count == 0 ? 1.0 : v.neu;
    for (size_t i = 0; i < tt.count; ++i) {
      const float w = scratch.valence()[i];
      if (w == 0 || tt.tokens[i].consumed) continue;
      const size_t from = negated_from[i] >= 0 ? static_cast<size_t>(negated_from[i]) : i;
      out.terms.push_back(Term{JoinTokens(tt, from, i + tt.tokens[i].span), w, "valence"});
    }
    DetectSignals(*lex_, tt, v.compound, &out);
    std::stable_sort(out.terms.begin(), out.terms.end(), [](const Term& a, const Term& b) {
      return std::fabs(a.weight) > std::fabs(b.weight);
    });
    return out;
  }

 private:
  std::shared_ptr<const Lexicon> lex_;
};

bool LoadBuiltIn(Lexicon* lex, std::string* error) {
  if (lex->Load(image::kBuiltIn)) return true;
  if (error) *error = "malformed built-in lexicon image";
  return false;
}

}  // namespace

std::unique_ptr<Scorer> Scorer::Create(const Options& options, std::string* error) {
  auto lex = std::make_shared<Lexicon>();
  std::string err;
  if (!LoadBuiltIn(lex.get(), &err)) {
    if (error) *error = "built-in lexicon: " + err;
    return nullptr;
  }
  if (!options.extra_lexicon_path.empty()) {
    std::ifstream in(options.extra_lexicon_path, std::ios::binary);
    if (!in) {
      if (error) *error = "cannot read lexicon file " + options.extra_lexicon_path;
      return nullptr;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    if (!lex->LoadRules(ss.str(), options.extra_lexicon_path, &err)) {
      if (error) *error = err;
      return nullptr;
    }
  }
  return std::make_unique<ScorerImpl>(std::move(lex));
}

}  // namespace deskhook::sentiment
