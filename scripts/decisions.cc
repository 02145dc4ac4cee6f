#include "scripts/decisions.h"

#include <algorithm>

#include "scripts/json_writer.h"

namespace deskhook::scripts {

std::string_view ActionName(ActionKind k) {
  switch (k) {
    case ActionKind::kAssign: return "assign";
    case ActionKind::kTag: return "tag";
    case ActionKind::kUntag: return "untag";
    case ActionKind::kNote: return "note";
    case ActionKind::kPriority: return "priority";
    case ActionKind::kEscalate: return "escalate";
    case ActionKind::kDraftFaq: return "draft_faq";
  }
  return "note";
}

bool IsPriority(std::string_view level) {
  return level == "low" || level == "normal" || level == "high" || level == "urgent";
}

namespace {

void Erase(std::vector<std::string>* v, const std::string& s) {
  v->erase(std::remove(v->begin(), v->end(), s), v->end());
}

void AddOnce(std::vector<std::string>* v, const std::string& s) {
  if (std::find(v->begin(), v->end(), s) == v->end()) v->push_back(s);
}

void AddTag(DecisionSet* d, const std::string& tag) {
  Erase(&d->remove_tags, tag);
  AddOnce(&d->add_tags, tag);
}

}  // namespace

void ApplyAction(const Action& a, const EscalateBundle& bundle, std::string_view script, Decided* d) {
  DecisionSet& s = d->set;
  switch (a.kind) {
    case ActionKind::kAssign:
      if (!a.group.empty()) s.group_id = a.group;
      if (!a.agent.empty()) s.assignee_id = a.agent;
      break;
    case ActionKind::kTag:
      for (const auto& t : a.tags) AddTag(&s, t);
      break;
    case ActionKind::kUntag:
      for (const auto& t : a.tags) {
        Erase(&s.add_tags, t);
        AddOnce(&s.remove_tags, t);
      }
      break;
    case ActionKind::kNote:
      s.notes.push_back(a.text);
      break;
    case ActionKind::kPriority:
      s.priority = a.text;
      break;
    case ActionKind::kEscalate: {
      for (const auto& t : bundle.tags) AddTag(&s, t);
      if (!bundle.group_id.empty()) s.group_id = bundle.group_id;
      if (!bundle.priority.empty()) s.priority = bundle.priority;
      std::string who(script);
      s.notes.push_back("Escalated by " + who + (a.text.empty() ? std::string() : ": " + a.text));
      d->escalations.push_back(who + ": " + a.text);
      break;
    }
    case ActionKind::kDraftFaq: {
      FaqDraft draft;
      draft.title = a.text;
      draft.body_html = a.body;
      draft.labels = {"deskhook", "script:" + std::string(script)};
      s.drafts.push_back(std::move(draft));
      break;
    }
  }
}

void MergeFallback(const DecisionSet& fallback, DecisionSet* d) {
  if (fallback.group_id && !d->group_id) d->group_id = fallback.group_id;
  if (fallback.assignee_id && !d->assignee_id) d->assignee_id = fallback.assignee_id;
  if (fallback.priority && !d->priority) d->priority = fallback.priority;
  for (const auto& t : fallback.add_tags) AddTag(d, t);
  for (const auto& t : fallback.remove_tags) {
    if (std::find(d->add_tags.begin(), d->add_tags.end(), t) == d->add_tags.end()) AddOnce(&d->remove_tags, t);
  }
  for (const auto& n : fallback.notes) d->notes.push_back(n);
  for (const auto& f : fallback.drafts) d->drafts.push_back(f);
}

std::string ActionsJson(const std::vector<Action>& actions) {
  if (actions.empty()) return "[]";
  std::string o;
  o.reserve(64 * actions.size());
  o.push_back('[');
  for (size_t i = 0; i < actions.size(); ++i) {
    const Action& a = actions[i];
    if (i > 0) o.push_back(',');
    o.append("{\"action\":");
    jsonw::Str(&o, ActionName(a.kind));
    auto field = [&o](std::string_view key, const std::string& v) {
      o.push_back(',');
      jsonw::Key(&o, key);
      jsonw::Str(&o, v);
    };
    switch (a.kind) {
      case ActionKind::kAssign:
        if (!a.group.empty()) field("group", a.group);
        if (!a.agent.empty()) field("agent", a.agent);
        break;
      case ActionKind::kTag:
      case ActionKind::kUntag:
        o.append(",\"tags\":[");
        for (size_t j = 0; j < a.tags.size(); ++j) {
          if (j > 0) o.push_back(',');
          jsonw::Str(&o, a.tags[j]);
        }
        o.push_back(']');
        break;
      case ActionKind::kNote: field("text", a.text); break;
      case ActionKind::kPriority: field("level", a.text); break;
      case ActionKind::kEscalate: field("reason", a.text); break;
      case ActionKind::kDraftFaq:
        field("title", a.text);
        field("body", a.body);
        break;
    }
    o.append(",\"line\":");
    jsonw::Int(&o, a.line);
    o.push_back('}');
  }
  o.push_back(']');
  return o;
}

}  // namespace deskhook::scripts
