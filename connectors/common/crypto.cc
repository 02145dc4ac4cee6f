#include "connectors/common/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

namespace deskhook::common {
namespace {

// The fetched HMAC implementation is immutable and shared by all threads (fetched once; the
// fetch is a locked provider lookup we do not want per request).
EVP_MAC* HmacImpl() {
  static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  return mac;
}

// digest: "SHA256" or "SHA1".
std::string Hmac(const char* digest, std::string_view key, std::string_view part1,
                 std::string_view part2) {
  std::string out;
  EVP_MAC* mac = HmacImpl();
  if (mac == nullptr) return out;
  EVP_MAC_CTX* mctx = EVP_MAC_CTX_new(mac);
  if (mctx != nullptr) {
    OSSL_PARAM params[2];
    params[0] = OSSL_PARAM_construct_utf8_string("digest", const_cast<char*>(digest), 0);
    params[1] = OSSL_PARAM_construct_end();
    // An empty key must still be a valid (non-null) pointer for EVP_MAC_init.
    static const unsigned char kEmpty = 0;
    const unsigned char* k =
        key.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(key.data());
    if (EVP_MAC_init(mctx, k, key.size(), params) == 1 &&
        EVP_MAC_update(mctx, reinterpret_cast<const unsigned char*>(part1.data()), part1.size()) == 1 &&
        EVP_MAC_update(mctx, reinterpret_cast<const unsigned char*>(part2.data()), part2.size()) == 1) {
      unsigned char buf[EVP_MAX_MD_SIZE];
      size_t len = 0;
      if (EVP_MAC_final(mctx, buf, &len, sizeof(buf)) == 1) {
        out.assign(reinterpret_cast<const char*>(buf), len);
      }
      OPENSSL_cleanse(buf, sizeof(buf));
    }
    EVP_MAC_CTX_free(mctx);
  }
  return out;
}

}  // namespace

std::string HmacSha256(std::string_view key, std::string_view message) {
  return Hmac("SHA256", key, message, {});
}

std::string HmacSha1(std::string_view key, std::string_view message) {
  return Hmac("SHA1", key, message, {});
}

std::string HmacSha256Concat(std::string_view key, std::string_view part1, std::string_view part2) {
  return Hmac("SHA256", key, part1, part2);
}

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  if (text.empty()) return std::string();
  std::string out(3 * (text.size() / 4), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts padding as zero bytes; drop them.
  size_t pad = 0;
  if (text.back() == '=') ++pad;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

std::string HexEncode(std::string_view bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace deskhook::common
