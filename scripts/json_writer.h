// Appends JSON text straight to a std::string, for the decision-log records built on every
// event (building boost::json values first and serialising them cost more than the scripts).
// Strings and integers are byte-for-byte what boost::json::serialize prints for the same values;
// scores are rounded for people to read (Score).
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/detail/config.hpp>  // format.hpp needs its macros first
#include <boost/json/detail/format.hpp>

namespace deskhook::scripts::jsonw {

inline void Str(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t run = 0;  // start of the pending run of characters that need no escape
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    char esc = 0;
    switch (c) {
      case '"': esc = '"'; break;
      case '\\': esc = '\\'; break;
      case '\b': esc = 'b'; break;
      case '\f': esc = 'f'; break;
      case '\n': esc = 'n'; break;
      case '\r': esc = 'r'; break;
      case '\t': esc = 't'; break;
      default:
        if (c >= 0x20) continue;
        esc = 'u';
    }
    out->append(s.data() + run, i - run);
    run = i + 1;
    out->push_back('\\');
    out->push_back(esc);
    if (esc == 'u') {
      out->append("00");
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 15]);
    }
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
}

inline void Int(std::string* out, int64_t v) {
  char buf[32];
  out->append(buf, boost::json::detail::format_int64(buf, v));
}

// A score (sentiment, trend, term weight) with at most 4 decimals and no exponent: "-0.8832",
// "0.8", "0". Full precision printed "-8.831604566768997E-1" and "8.00000011920929E-1" (a float
// widened): hard to read in the decision log, and a sixth of its bytes. Not finite, or too
// large for the buffer (|v| beyond ~1e58, never a score) -> null.
inline void Score(std::string* out, double v) {
  if (!std::isfinite(v)) {
    out->append("null");
    return;
  }
  double r = std::round(v * 10000.0) / 10000.0;
  if (r == 0) r = 0;  // no "-0"
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, r, std::chars_format::fixed, 4);
  if (ec != std::errc()) {
    out->append("null");
    return;
  }
  while (end[-1] == '0') --end;
  if (end[-1] == '.') --end;
  out->append(buf, end);
}

inline void Bool(std::string* out, bool v) { out->append(v ? "true" : "false"); }

// A JSON array of strings.
inline void Strings(std::string* out, const std::vector<std::string>& v) {
  out->push_back('[');
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out->push_back(',');
    Str(out, v[i]);
  }
  out->push_back(']');
}

// `"key":` (keys are plain ASCII literals: no escaping).
inline void Key(std::string* out, std::string_view k) {
  out->push_back('"');
  out->append(k);
  out->append("\":");
}

}  // namespace deskhook::scripts::jsonw
