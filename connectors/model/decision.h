// What the scripts decide for one event, merged, as data. Connectors turn a DecisionSet into
// API calls; the host stores both. Nothing here knows about Lua or about a platform.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace deskhook {

struct FaqDraft {
  std::string title;       // phrased as the question
  std::string body_html;   // article body
  std::string group_key;   // which repeated-question group it came from ("" for script drafts)
  std::vector<std::string> labels;
};

struct DecisionSet {
  std::optional<std::string> group_id;     // assign to group (Zendesk) / team (Intercom)
  std::optional<std::string> assignee_id;  // assign to agent (Zendesk) / admin (Intercom)
  std::vector<std::string> add_tags;       // set-like; never contains a tag also in remove_tags
  std::vector<std::string> remove_tags;
  std::vector<std::string> notes;          // internal notes, in decision order
  std::optional<std::string> priority;     // "low" | "normal" | "high" | "urgent"
  std::vector<FaqDraft> drafts;            // draft articles (never published)

  bool empty() const {
    return !group_id && !assignee_id && add_tags.empty() && remove_tags.empty() &&
           notes.empty() && !priority && drafts.empty();
  }
};

}  // namespace deskhook
