#include "connectors/common/text.h"

#include <array>
#include <cctype>

namespace deskhook::common {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

struct NamedEntity {
  std::string_view name;
  uint32_t cp;
};
constexpr std::array<NamedEntity, 20> kEntities = {{
    {"amp", '&'},     {"lt", '<'},      {"gt", '>'},      {"quot", '"'},     {"apos", '\''},
    {"nbsp", 0xA0},   {"ndash", 0x2013}, {"mdash", 0x2014}, {"hellip", 0x2026}, {"rsquo", 0x2019},
    {"lsquo", 0x2018}, {"rdquo", 0x201D}, {"ldquo", 0x201C}, {"euro", 0x20AC},  {"copy", 0xA9},
    {"reg", 0xAE},    {"trade", 0x2122}, {"laquo", 0xAB},  {"raquo", 0xBB},   {"bull", 0x2022},
}};

// Decodes the entity starting at html[i] == '&'. Returns the characters consumed (0 = not an
// entity; the '&' is then kept literally).
size_t DecodeEntity(std::string_view html, size_t i, std::string* out) {
  size_t semi = html.find(';', i + 1);
  if (semi == std::string_view::npos || semi - i > 12) return 0;
  std::string_view name = html.substr(i + 1, semi - i - 1);
  if (name.empty()) return 0;
  if (name[0] == '#') {
    uint32_t cp = 0;
    bool hex = name.size() > 1 && (name[1] == 'x' || name[1] == 'X');
    std::string_view digits = name.substr(hex ? 2 : 1);
    if (digits.empty()) return 0;
    for (char c : digits) {
      int d;
      if (c >= '0' && c <= '9') d = c - '0';
      else if (hex && c >= 'a' && c <= 'f') d = c - 'a' + 10;
      else if (hex && c >= 'A' && c <= 'F') d = c - 'A' + 10;
      else return 0;
      cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(d);
      if (cp > 0x10FFFF) cp = 0x110000;  // saturate; replaced below
    }
    if (cp == 0xA0) cp = ' ';
    AppendUtf8(cp, out);
    return semi - i + 1;
  }
  for (const auto& e : kEntities) {
    if (e.name == name) {
      AppendUtf8(e.cp == 0xA0 ? ' ' : e.cp, out);
      return semi - i + 1;
    }
  }
  return 0;
}

// Tag names that end a line of text when they open or close.
bool IsBlockTag(std::string_view name) {
  static constexpr std::array<std::string_view, 16> kBlocks = {
      "p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote", "pre",
      "table", "hr"};
  for (auto b : kBlocks) {
    if (b == name) return true;
  }
  return false;
}

// Collapses spaces within lines, trims each line, keeps at most one blank line in a row.
std::string Tidy(const std::string& raw) {
  std::string out;
  out.reserve(raw.size());
  std::string line;
  int pending_newlines = 0;
  auto flush_line = [&]() {
    std::string_view t = Trim(line);
    if (!t.empty()) {
      if (!out.empty()) out.append(pending_newlines >= 2 ? "\n\n" : "\n");
      out.append(t);
      pending_newlines = 0;
    }
    line.clear();
  };
  for (char c : raw) {
    if (c == '\n') {
      flush_line();
      ++pending_newlines;
    } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
      if (!line.empty() && line.back() != ' ') line.push_back(' ');
    } else {
      line.push_back(c);
    }
  }
  flush_line();
  return out;
}

}  // namespace

std::string HtmlToText(std::string_view html) {
  std::string raw;
  raw.reserve(html.size());
  size_t i = 0;
  while (i < html.size()) {
    char c = html[i];
    if (c == '<') {
      if (html.compare(i, 4, "<!--") == 0) {
        size_t end = html.find("-->", i + 4);
        i = end == std::string_view::npos ? html.size() : end + 3;
        continue;
      }
      size_t end = html.find('>', i + 1);
      if (end == std::string_view::npos) {  // a lone '<' is text
        raw.push_back(c);
        ++i;
        continue;
      }
      std::string_view tag = html.substr(i + 1, end - i - 1);
      bool closing = !tag.empty() && tag[0] == '/';
      if (closing) tag.remove_prefix(1);
      size_t name_end = 0;
      while (name_end < tag.size() && std::isalnum(static_cast<unsigned char>(tag[name_end]))) ++name_end;
      std::string name = ToLower(tag.substr(0, name_end));
      if (name.empty() && !closing && (tag.empty() || tag[0] == ' ')) {  // "a < b" is text
        raw.push_back(c);
        ++i;
        continue;
      }
      i = end + 1;
      if (!closing && (name == "script" || name == "style")) {
        size_t close = ToLower(html.substr(i)).find("</" + name);
        i = close == std::string::npos ? html.size() : i + close;
        continue;
      }
      if (name == "br" || IsBlockTag(name)) {
        raw.push_back('\n');
        if (name == "p" && closing) raw.push_back('\n');
      } else if (name == "td" || name == "th") {
        raw.push_back(' ');
      }
      continue;
    }
    if (c == '&') {
      size_t used = DecodeEntity(html, i, &raw);
      if (used > 0) {
        i += used;
        continue;
      }
    }
    raw.push_back(c);
    ++i;
  }
  return Tidy(raw);
}

namespace {

// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool ReadDigits(std::string_view s, size_t* pos, size_t n, int* out) {
  if (*pos + n > s.size()) return false;
  int v = 0;
  for (size_t k = 0; k < n; ++k) {
    char c = s[*pos + k];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

bool Expect(std::string_view s, size_t* pos, char c) {
  if (*pos >= s.size() || s[*pos] != c) return false;
  ++*pos;
  return true;
}

}  // namespace

std::optional<int64_t> ParseIso8601Ms(std::string_view text) {
  std::string_view s = Trim(text);
  size_t p = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ReadDigits(s, &p, 4, &year) || !Expect(s, &p, '-') || !ReadDigits(s, &p, 2, &month) ||
      !Expect(s, &p, '-') || !ReadDigits(s, &p, 2, &day)) {
    return std::nullopt;
  }
  if (p >= s.size() || (s[p] != 'T' && s[p] != 't' && s[p] != ' ')) return std::nullopt;
  ++p;
  if (!ReadDigits(s, &p, 2, &hour) || !Expect(s, &p, ':') || !ReadDigits(s, &p, 2, &minute) ||
      !Expect(s, &p, ':') || !ReadDigits(s, &p, 2, &second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  int64_t millis = 0;
  if (p < s.size() && (s[p] == '.' || s[p] == ',')) {
    ++p;
    int digits = 0;
    while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
      if (digits < 3) millis = millis * 10 + (s[p] - '0');
      ++digits;
      ++p;
    }
    if (digits == 0) return std::nullopt;
    for (int k = digits; k < 3; ++k) millis *= 10;
  }
  int64_t offset_s = 0;
  if (p < s.size() && s[p] == ' ') ++p;
  std::string_view zone = s.substr(p);
  if (zone == "Z" || zone == "z" || zone == "UTC" || zone == "GMT" || zone.empty()) {
    offset_s = 0;
  } else if (zone[0] == '+' || zone[0] == '-') {
    size_t q = 1;
    int oh = 0, om = 0;
    if (!ReadDigits(zone, &q, 2, &oh)) return std::nullopt;
    if (q < zone.size()) {
      if (zone[q] == ':') ++q;
      if (!ReadDigits(zone, &q, 2, &om) || q != zone.size()) return std::nullopt;
    }
    if (oh > 23 || om > 59) return std::nullopt;
    offset_s = (oh * 3600 + om * 60) * (zone[0] == '-' ? -1 : 1);
  } else {
    return std::nullopt;
  }
  int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_s;
  return secs * 1000 + millis;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

std::vector<std::string> SplitWhitespace(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && IsSpace(s[i])) ++i;
    size_t start = i;
    while (i < s.size() && !IsSpace(s[i])) ++i;
    if (i > start) out.emplace_back(s.substr(start, i - start));
  }
  return out;
}

std::string NormalizePriority(std::string_view platform_value) {
  std::string p = ToLower(Trim(platform_value));
  if (p == "low" || p == "normal" || p == "high" || p == "urgent") return p;
  return "";
}

}  // namespace deskhook::common
