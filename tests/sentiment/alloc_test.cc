// The scorer's hot path does not allocate per token: the number of heap allocations made by
// Compound() must not grow with the number of words in the message.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "sentiment/sentiment.h"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace deskhook::sentiment {
namespace {

long AllocationsFor(const Scorer& scorer, const std::string& text) {
  const long before = g_allocations.load();
  volatile double sink = scorer.Compound(text);
  (void)sink;
  return g_allocations.load() - before;
}

TEST(SentimentAllocations, CompoundDoesNotAllocatePerToken) {
  std::string error;
  auto scorer = Scorer::Create(Options{}, &error);
  ASSERT_NE(scorer, nullptr) << error;
  const std::string clause = "The app is NOT good at all, it's really terrible!!! but support was great :) ";
  std::string longer, longest;
  for (int i = 0; i < 200; ++i) longer += clause;   // ~3,000 tokens
  for (int i = 0; i < 400; ++i) longest += clause;  // ~6,000 tokens
  AllocationsFor(*scorer, clause);  // warm any lazily built state
  const long short_allocs = AllocationsFor(*scorer, clause);
  const long long_allocs = AllocationsFor(*scorer, longer);
  const long longest_allocs = AllocationsFor(*scorer, longest);
  // A message may get its scratch buffers from the heap once it outgrows the stack ones, but
  // twice the tokens must not mean more allocations.
  EXPECT_EQ(short_allocs, 0) << "a short message should fit the stack scratch";
  EXPECT_EQ(longest_allocs, long_allocs) << "3,000 tokens: " << long_allocs << ", 6,000 tokens: " << longest_allocs;
  EXPECT_LE(long_allocs, 8);
  // The counter works (a string this long allocates), so the comparison above can fail.
  const long before = g_allocations.load();
  std::string copy = longer;
  EXPECT_GT(g_allocations.load(), before);
}

}  // namespace
}  // namespace deskhook::sentiment
