#include "connectors/call_common.h"

#include <openssl/evp.h>

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <limits>
#include <set>

namespace deskhook {

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

namespace {
void AppendField(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out.append(field);
  out += '\n';
}
}  // namespace

std::string CallIdempotencyKey(std::string_view event_key, size_t index, std::string_view method,
                               std::string_view path, std::string_view body) {
  std::string material;
  material.reserve(event_key.size() + path.size() + body.size() + 48);
  AppendField(material, event_key);
  AppendField(material, std::to_string(index));
  AppendField(material, method);
  AppendField(material, path);
  AppendField(material, body);
  return Sha256Hex(material).substr(0, 32);
}

std::string EffectMarker(std::string_view event_key, std::string_view what) {
  std::string material;
  AppendField(material, "deskhook-effect");
  AppendField(material, event_key);
  AppendField(material, what);
  return std::string(kMarkerPrefix) + Sha256Hex(material).substr(0, 16);
}

std::optional<std::string> FindEffectMarker(std::string_view text) {
  size_t pos = 0;
  while ((pos = text.find(kMarkerPrefix, pos)) != std::string_view::npos) {
    const size_t start = pos + kMarkerPrefix.size();
    size_t n = 0;
    while (start + n < text.size() && n < 16 && std::isxdigit(static_cast<unsigned char>(text[start + n])) &&
           !std::isupper(static_cast<unsigned char>(text[start + n]))) {
      ++n;
    }
    if (n == 16) return std::string(text.substr(pos, kMarkerPrefix.size() + 16));
    pos = start;
  }
  return std::nullopt;
}

namespace {
bool MentionsIn(const boost::json::value& v, std::string_view marker) {
  switch (v.kind()) {
    case boost::json::kind::string:
      return std::string_view(v.get_string()).find(marker) != std::string_view::npos;
    case boost::json::kind::array:
      for (const auto& e : v.get_array())
        if (MentionsIn(e, marker)) return true;
      return false;
    case boost::json::kind::object:
      for (const auto& kv : v.get_object())
        if (MentionsIn(kv.value(), marker)) return true;
      return false;
    default:
      return false;
  }
}
}  // namespace

bool JsonMentions(std::string_view json_text, std::string_view marker) {
  if (marker.empty()) return false;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(json_text, ec);
  if (ec) return false;
  return MentionsIn(v, marker);
}

bool EffectPresentInResponse(const ApiCall& call, std::string_view check_response) {
  // The body is JSON; the marker has no characters JSON would escape, so it is found verbatim.
  const auto marker = FindEffectMarker(call.body);
  return marker && JsonMentions(check_response, *marker);
}

bool IsDecimalId(std::string_view s) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
}

std::string PercentEncode(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> JsonHeaders() {
  return {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
}

std::vector<std::string> UniqueNonEmpty(const std::vector<std::string>& items) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& raw : items) {
    size_t b = 0, e = raw.size();
    while (b < e && std::isspace(static_cast<unsigned char>(raw[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(raw[e - 1]))) --e;
    std::string item = raw.substr(b, e - b);
    if (item.empty() || !seen.insert(item).second) continue;
    out.push_back(std::move(item));
  }
  return out;
}

}  // namespace deskhook
