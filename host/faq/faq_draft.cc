#include "host/faq/faq_draft.h"

#include <cctype>
#include <set>

namespace deskhook::faq {

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string QuestionTitle(std::string_view q) {
  // Split into sentences; prefer the first that ends with '?'.
  std::vector<std::string> sentences;
  std::string cur;
  for (char c : q) {
    cur.push_back(c);
    if (c == '?' || c == '.' || c == '!') {
      sentences.push_back(cur);
      cur.clear();
    }
  }
  sentences.push_back(cur);
  std::string pick;
  for (const auto& s : sentences) {
    if (!s.empty() && s.back() == '?') {
      pick = s;
      break;
    }
  }
  if (pick.empty()) {
    for (const auto& s : sentences) {
      if (s.find_first_not_of(" \t.!?") != std::string::npos) {
        pick = s;
        break;
      }
    }
  }
  // Trim spaces and trailing punctuation.
  size_t b = pick.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  pick = pick.substr(b);
  while (!pick.empty() && (std::isspace(static_cast<unsigned char>(pick.back())) ||
                           pick.back() == '?' || pick.back() == '.' || pick.back() == '!')) {
    pick.pop_back();
  }
  if (pick.empty()) return "";
  if (pick.size() > 149) {
    size_t cut = pick.rfind(' ', 149);
    pick.resize(cut == std::string::npos || cut < 40 ? 149 : cut);
  }
  pick[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(pick[0])));
  return pick + "?";
}

FaqDraft ComposeGroupDraft(const std::vector<std::string>& variants,
                           const std::vector<std::string>& answers, int group_size,
                           std::string group_key) {
  FaqDraft d;
  d.title = QuestionTitle(variants.front());
  d.group_key = std::move(group_key);
  d.labels = {"deskhook-faq"};
  std::string body = "<p>" + std::to_string(group_size) +
                     " customers asked this question recently. Review before publishing.</p>\n";
  body += "<h2>How customers asked</h2>\n<ul>\n";
  std::set<std::string> seen;
  for (const auto& v : variants) {
    if (v.empty() || !seen.insert(v).second) continue;
    body += "<li>" + HtmlEscape(v) + "</li>\n";
  }
  body += "</ul>\n";
  for (const auto& a : answers) {
    if (a.empty()) continue;
    body += "<h2>Answer given by our team</h2>\n<p>" + HtmlEscape(a) + "</p>\n";
    break;
  }
  d.body_html = std::move(body);
  return d;
}

}  // namespace deskhook::faq
