// Composing FAQ draft articles from a group of repeated questions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "connectors/model/decision.h"

namespace deskhook::faq {

// A customer's wording normalised as an article title: the sentence that asks (the first one
// ending in '?', else the first sentence), first letter upper-case, ending in exactly one '?'.
// At most 150 bytes (cut at a word boundary). "" for empty input.
std::string QuestionTitle(std::string_view question);

// Escapes &, <, >, " and ' for HTML text and attributes.
std::string HtmlEscape(std::string_view text);

// The draft for a group: `variants` are the members' cleaned questions, most central first
// (the first becomes the title); `answers` are agents' replies on solved tickets of the group,
// most relevant first (the first non-empty one is quoted). REQUIRES: !variants.empty().
FaqDraft ComposeGroupDraft(const std::vector<std::string>& variants,
                           const std::vector<std::string>& answers, int group_size,
                           std::string group_key);

}  // namespace deskhook::faq
