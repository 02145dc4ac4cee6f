#include "sentiment/text.h"

namespace deskhook::sentiment::text {

size_t NormalizeInto(std::string_view in, char* out, bool* has_upper, bool* has_lower) {
  const auto* s = reinterpret_cast<const unsigned char*>(in.data());
  const size_t n = in.size();
  size_t o = 0;
  for (size_t i = 0; i < n;) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      if (c >= 'A' && c <= 'Z') {
        *has_upper = true;
        out[o++] = static_cast<char>(c + 32);
      } else {
        if (c >= 'a' && c <= 'z') *has_lower = true;
        out[o++] = static_cast<char>(c);
      }
      ++i;
      continue;
    }
    size_t len;
    const uint32_t cp = Decode(s, n, i, &len);
    if (cp == 0xFFFD && len == 1) {  // invalid byte: keep the output valid UTF-8
      out[o++] = '?';
      ++i;
      continue;
    }
    i += len;
    if (IsApostrophe(cp)) { out[o++] = '\''; continue; }
    if (IsEmojiModifier(cp)) continue;
    bool upper;
    const uint32_t low = ToLower(cp, &upper);
    if (upper) *has_upper = true;
    else if (IsLowerLetter(cp)) *has_lower = true;
    o += Encode(low, out + o);
  }
  return o;
}

}  // namespace deskhook::sentiment::text
