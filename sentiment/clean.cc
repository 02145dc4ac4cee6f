// CleanMessage: keeps what the customer wrote now. HTML is reduced to text (quoted blocks and
// mail clients' quote containers dropped, entities decoded), then lines are filtered: "> " quotes
// dropped, and everything from a reply header ("On ... wrote:", "-----Original Message-----",
// "From: ... Sent: ..."), a signature delimiter ("-- ") or a sign-off followed by a short
// signature block ("Thanks,\nJane\nAcme Inc") is cut. "Sent from my iPhone" lines are dropped.
#include <algorithm>
#include <cctype>
#include <cstring>
#include <string>
#include <vector>

#include "sentiment/sentiment.h"
#include "sentiment/text.h"

namespace deskhook::sentiment {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view TrimView(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// Decodes one entity at s[i] == '&'; appends its text and returns the bytes consumed (0 = none).
size_t DecodeEntity(std::string_view s, size_t i, std::string* out) {
  const size_t semi = s.find(';', i);
  if (semi == std::string_view::npos || semi - i > 10) return 0;
  const std::string_view name = s.substr(i + 1, semi - i - 1);
  uint32_t cp = 0;
  if (name.size() >= 2 && name[0] == '#') {
    const bool hex = name[1] == 'x' || name[1] == 'X';
    const std::string digits(name.substr(hex ? 2 : 1));
    if (digits.empty()) return 0;
    char* end = nullptr;
    const unsigned long v = std::strtoul(digits.c_str(), &end, hex ? 16 : 10);
    if (*end != '\0' || v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    cp = static_cast<uint32_t>(v);
  } else {
    static const struct { const char* name; uint32_t cp; } kNamed[] = {
        {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}, {"nbsp", ' '},
        {"rsquo", 0x2019}, {"lsquo", 0x2018}, {"rdquo", 0x201D}, {"ldquo", 0x201C},
        {"hellip", 0x2026}, {"mdash", 0x2014}, {"ndash", 0x2013}, {"eacute", 0xE9},
        {"egrave", 0xE8}, {"agrave", 0xE0}, {"ccedil", 0xE7}, {"uuml", 0xFC}, {"ouml", 0xF6},
        {"auml", 0xE4}, {"szlig", 0xDF}, {"copy", 0xA9}, {"reg", 0xAE}, {"euro", 0x20AC},
        {"pound", 0xA3}, {"bull", 0x2022}, {"middot", 0xB7}, {"zwnj", 0x200C}, {"zwj", 0x200D},
    };
    for (const auto& e : kNamed) {
      if (name == e.name) cp = e.cp;
    }
    if (cp == 0) return 0;
  }
  char buf[4];
  out->append(buf, text::Encode(cp, buf));
  return semi - i + 1;
}

// Skips from s[i] to just after the matching close tag of `tag` (nesting-aware), or to the end.
size_t SkipElement(std::string_view lower, size_t i, std::string_view tag) {
  const std::string open = "<" + std::string(tag), close = "</" + std::string(tag);
  int depth = 0;
  while (i < lower.size()) {
    const size_t o = lower.find(open, i), c = lower.find(close, i);
    if (c == std::string_view::npos) return lower.size();
    if (o != std::string_view::npos && o < c) {
      ++depth;
      i = o + open.size();
      continue;
    }
    const size_t gt = lower.find('>', c);
    i = gt == std::string_view::npos ? lower.size() : gt + 1;
    if (--depth <= 0) return i;
  }
  return lower.size();
}

bool LooksLikeHtml(std::string_view s) {
  for (size_t i = s.find('<'); i != std::string_view::npos && i + 1 < s.size(); i = s.find('<', i + 1)) {
    const unsigned char c = s[i + 1];
    if (std::isalpha(c) || c == '/' || c == '!') {
      const size_t gt = s.find('>', i);
      if (gt != std::string_view::npos) return true;
    }
  }
  return false;
}

std::string HtmlToText(std::string_view html) {
  const std::string lower = Lower(html);
  // Mail clients wrap the quoted conversation in these; everything from there on is old.
  size_t end = html.size();
  for (const char* marker : {"class=\"gmail_quote", "class=\"gmail_extra", "id=\"divrplyfwdmsg",
                             "id=\"appendonsend", "class=\"yahoo_quoted", "class=\"moz-cite-prefix",
                             "data-marker=\"__quoted_text__"}) {
    const size_t m = lower.find(marker);
    if (m != std::string::npos) end = std::min(end, lower.rfind('<', m));
  }
  std::string out;
  out.reserve(end);
  for (size_t i = 0; i < end;) {
    const char c = html[i];
    if (c == '&') {
      const size_t used = DecodeEntity(html, i, &out);
      if (used) { i += used; continue; }
      out.push_back(c);
      ++i;
      continue;
    }
    if (c != '<') { out.push_back(c); ++i; continue; }
    if (StartsWith(std::string_view(lower).substr(i), "<!--")) {
      const size_t e = lower.find("-->", i);
      i = e == std::string::npos ? end : e + 3;
      continue;
    }
    bool skipped = false;
    for (const char* tag : {"blockquote", "script", "style", "head", "title"}) {
      const std::string open = "<" + std::string(tag);
      if (StartsWith(std::string_view(lower).substr(i), open)) {
        const char after = i + open.size() < lower.size() ? lower[i + open.size()] : '>';
        if (after == '>' || std::isspace(static_cast<unsigned char>(after))) {
          i = SkipElement(lower, i, tag);
          out.push_back('\n');
          skipped = true;
          break;
        }
      }
    }
    if (skipped) continue;
    const size_t gt = html.find('>', i);
    if (gt == std::string_view::npos) { out.append(html.substr(i, end - i)); break; }
    // Block-level tags become line breaks; inline ones vanish.
    std::string_view name = std::string_view(lower).substr(i + 1, gt - i - 1);
    if (!name.empty() && name[0] == '/') name.remove_prefix(1);
    name = name.substr(0, name.find_first_of(" \t\r\n/"));
    static const char* kBlocks[] = {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5",
                                    "h6", "ul", "ol", "table", "hr", "pre", "section", "article"};
    if (std::any_of(std::begin(kBlocks), std::end(kBlocks), [&](const char* b) { return name == b; })) {
      out.push_back('\n');
    }
    i = gt + 1;
  }
  return out;
}

bool IsReplyHeader(std::string_view line, std::string_view next) {
  const std::string l = Lower(line);
  const std::string joined = l + " " + Lower(next);
  for (const char* lead : {"on ", "am ", "le ", "el ", "il ", "op "}) {
    if (!StartsWith(l, lead)) continue;
    for (const char* verb : {"wrote:", "schrieb:", "a écrit", "escribió:", "ha scritto:", "schreef"}) {
      if (l.find(verb) != std::string::npos) return true;
      // Clients wrap long headers: "On Mon, 3 Jun 2024 at 10:00, Jane Doe <\njane@x.com> wrote:"
      if (joined.find(verb) != std::string::npos && l.size() > 8) return true;
    }
  }
  if (StartsWith(l, "-----original message") || StartsWith(l, "----- original message") ||
      StartsWith(l, "---------- forwarded message") || StartsWith(l, "begin forwarded message")) {
    return true;
  }
  if (l.size() >= 10 && l.find_first_not_of('_') == std::string::npos) return true;  // Outlook
  if (StartsWith(l, "from:") && (StartsWith(Lower(next), "sent:") || StartsWith(Lower(next), "date:") ||
                                 StartsWith(Lower(next), "to:"))) {
    return true;
  }
  return false;
}

bool IsSignOff(std::string_view line) {
  std::string l = Lower(line);
  while (!l.empty() && (l.back() == ',' || l.back() == '.' || l.back() == '!')) l.pop_back();
  for (const char* s : {"thanks", "thank you", "thanks again", "many thanks", "thanks in advance",
                        "regards", "best regards", "kind regards", "warm regards", "best wishes",
                        "best", "cheers", "sincerely", "yours sincerely", "yours truly", "br",
                        "rgds", "thx", "ty", "all the best", "respectfully", "cordially"}) {
    if (l == s) return true;
  }
  return false;
}

bool IsClientFooter(std::string_view line) {
  const std::string l = Lower(line);
  return StartsWith(l, "sent from my ") || StartsWith(l, "get outlook for") ||
         StartsWith(l, "sent from mail for") || StartsWith(l, "sent from yahoo mail") ||
         StartsWith(l, "sent via ");
}

}  // namespace

std::string CleanMessage(std::string_view raw) {
  std::string body = LooksLikeHtml(raw) ? HtmlToText(raw) : std::string(raw);
  std::vector<std::string_view> lines;
  for (size_t i = 0; i <= body.size();) {
    size_t nl = body.find('\n', i);
    if (nl == std::string::npos) nl = body.size();
    std::string_view line(body.data() + i, nl - i);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    i = nl + 1;
  }
  std::vector<std::string_view> kept;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = TrimView(lines[i]);
    const std::string_view next = i + 1 < lines.size() ? TrimView(lines[i + 1]) : std::string_view();
    if (lines[i] == "-- " || line == "--" || line == "—") break;  // signature delimiter
    if (IsReplyHeader(line, next)) break;
    if (!line.empty() && line.front() == '>') continue;
    if (IsClientFooter(line)) continue;
    if (IsSignOff(line)) {
      // A sign-off with at most four short lines after it is the signature block.
      size_t rest = 0, longest = 0;
      for (size_t k = i + 1; k < lines.size(); ++k) {
        const std::string_view l = TrimView(lines[k]);
        if (l.empty() || IsClientFooter(l)) continue;
        ++rest;
        longest = std::max(longest, l.size());
      }
      const bool wrote_before = std::any_of(kept.begin(), kept.end(), [](std::string_view k) { return !k.empty(); });
      if (wrote_before && rest <= 4 && longest <= 60) break;
    }
    kept.push_back(line);
  }
  std::string out;
  bool blank = false;
  for (const auto& line : kept) {
    if (line.empty()) {
      blank = !out.empty();
      continue;
    }
    if (!out.empty()) out.append(blank ? "\n\n" : "\n");
    blank = false;
    out.append(line);
  }
  return out;
}

}  // namespace deskhook::sentiment
