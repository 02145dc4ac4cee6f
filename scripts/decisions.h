// Script decisions as data: what one action call recorded, and how the calls of all scripts
// merge into one DecisionSet. No Lua here (the binding produces Actions, the runtime merges).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "connectors/model/decision.h"
#include "scripts/runtime.h"

namespace deskhook::scripts {

enum class ActionKind { kAssign, kTag, kUntag, kNote, kPriority, kEscalate, kDraftFaq };
std::string_view ActionName(ActionKind k);  // "assign", "tag", ...

// One call of assign/tag/untag/note/priority/escalate/draft_faq, validated by the binding.
struct Action {
  ActionKind kind = ActionKind::kNote;
  std::string group, agent;       // assign (either may be empty, not both)
  std::vector<std::string> tags;  // tag, untag
  std::string text;               // note text, priority level, escalate reason, draft title
  std::string body;               // draft body
  int line = 0;                   // script line of the call
};

// The merged decisions of the scripts that finished so far (ctx.decisions).
struct Decided {
  DecisionSet set;
  std::vector<std::string> escalations;  // "script: reason", one per escalate{}
};

// Applies one action in order. Later assign/priority calls override earlier ones; tag and untag
// cancel each other (a tag is never in both lists). escalate{} expands to `bundle` plus a note.
void ApplyAction(const Action& a, const EscalateBundle& bundle, std::string_view script, Decided* d);

// Fills what the scripts left open from `fallback`: tags and notes are added; group, agent and
// priority only when no finished script decided them.
void MergeFallback(const DecisionSet& fallback, DecisionSet* d);

// JSON array of the actions, e.g. [{"action":"tag","tags":["vip"],"line":4}].
std::string ActionsJson(const std::vector<Action>& actions);

bool IsPriority(std::string_view level);  // low | normal | high | urgent

}  // namespace deskhook::scripts
