// Text helpers shared by connectors: HTML bodies to plain text, ISO-8601 times, small string
// utilities. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace deskhook::common {

// Plain text from an HTML fragment (Intercom message bodies): tags removed, <br> and block
// ends (</p>, </div>, </li>, headings) become newlines, <script>/<style> content dropped,
// character entities decoded (named basics and numeric), runs of blank lines and spaces
// collapsed, result trimmed. Never fails: malformed markup degrades to its text.
std::string HtmlToText(std::string_view html);

// Unix milliseconds from an ISO-8601 / RFC 3339 date-time: "2026-11-22T06:00:00Z",
// "2026-11-22T06:00:00.123+02:00", "2026-11-22 06:00:00 UTC", "...+0200". A time without a
// zone is read as UTC. nullopt when the text is not such a date-time.
std::optional<int64_t> ParseIso8601Ms(std::string_view text);

std::string ToLower(std::string_view s);
std::string_view Trim(std::string_view s);
// Splits on ASCII whitespace, dropping empty pieces.
std::vector<std::string> SplitWhitespace(std::string_view s);

// "low" | "normal" | "high" | "urgent" for those words in any case, otherwise "".
std::string NormalizePriority(std::string_view platform_value);

}  // namespace deskhook::common
