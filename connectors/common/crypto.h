// HMAC, base64, hex and constant-time comparison for webhook signatures, on OpenSSL 3.
// All functions are thread-safe and allocate only their result.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace deskhook::common {

// Raw HMAC digests (32 and 20 bytes). The key is used verbatim as bytes.
std::string HmacSha256(std::string_view key, std::string_view message);
std::string HmacSha1(std::string_view key, std::string_view message);

// HMAC-SHA256 over the concatenation of `part1` and `part2` without copying them together.
std::string HmacSha256Concat(std::string_view key, std::string_view part1, std::string_view part2);

// Standard base64 (RFC 4648, with padding).
std::string Base64Encode(std::string_view bytes);
// nullopt when `text` is not valid padded base64.
std::optional<std::string> Base64Decode(std::string_view text);

// Lowercase hexadecimal.
std::string HexEncode(std::string_view bytes);

// Compares in time independent of where the inputs differ (CRYPTO_memcmp). Lengths are not
// secret: different lengths return false at once.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace deskhook::common
