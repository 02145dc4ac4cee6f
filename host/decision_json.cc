#include "host/decision_json.h"

#include "scripts/json_writer.h"

namespace deskhook {
namespace jw = scripts::jsonw;

void AppendTicketSummary(std::string* o, const Ticket& t) {
  o->append("{\"instance\":");
  jw::Str(o, t.instance);
  o->append(",\"platform\":");
  jw::Str(o, t.platform);
  o->append(",\"id\":");
  jw::Str(o, t.id);
  o->append(",\"subject\":");
  jw::Str(o, t.subject);
  o->append(",\"requester\":{\"id\":");
  jw::Str(o, t.requester.id);
  o->append(",\"name\":");
  jw::Str(o, t.requester.name);
  o->append(",\"email\":");
  jw::Str(o, t.requester.email);
  o->append("},\"assignee\":");
  jw::Str(o, t.assignee.id);
  o->append(",\"group\":");
  jw::Str(o, t.group_id);
  o->append(",\"tags\":");
  jw::Strings(o, t.tags);
  o->append(",\"priority\":");
  jw::Str(o, t.priority);
  o->append(",\"status\":");
  jw::Str(o, t.status);
  o->append(",\"channel\":");
  jw::Str(o, t.channel);
  o->append(",\"messages\":[");
  for (size_t i = 0; i < t.messages.size(); ++i) {
    const Message& m = t.messages[i];
    if (i > 0) o->push_back(',');
    o->append("{\"role\":");
    jw::Str(o, AuthorRoleName(m.role));
    o->append(",\"author_id\":");
    jw::Str(o, m.author_id);
    o->append(",\"public\":");
    jw::Bool(o, m.is_public);
    o->append(",\"body\":");
    jw::Str(o, std::string_view(m.body).substr(0, 2000));
    o->push_back('}');
  }
  o->append("]}");
}

void AppendDecisionSet(std::string* o, const DecisionSet& d) {
  o->push_back('{');
  bool first = true;
  auto key = [&](std::string_view k) {
    if (!first) o->push_back(',');
    first = false;
    jw::Key(o, k);
  };
  if (d.group_id) {
    key("group");
    jw::Str(o, *d.group_id);
  }
  if (d.assignee_id) {
    key("agent");
    jw::Str(o, *d.assignee_id);
  }
  if (!d.add_tags.empty()) {
    key("add_tags");
    jw::Strings(o, d.add_tags);
  }
  if (!d.remove_tags.empty()) {
    key("remove_tags");
    jw::Strings(o, d.remove_tags);
  }
  if (!d.notes.empty()) {
    key("notes");
    jw::Strings(o, d.notes);
  }
  if (d.priority) {
    key("priority");
    jw::Str(o, *d.priority);
  }
  if (!d.drafts.empty()) {
    key("drafts");
    o->push_back('[');
    for (size_t i = 0; i < d.drafts.size(); ++i) {
      if (i > 0) o->push_back(',');
      o->append("{\"title\":");
      jw::Str(o, d.drafts[i].title);
      o->append(",\"group\":");
      jw::Str(o, d.drafts[i].group_key);
      o->push_back('}');
    }
    o->push_back(']');
  }
  o->push_back('}');
}

void AppendMessageScore(std::string* o, const sentiment::MessageScore& s) {
  o->append("{\"compound\":");
  jw::Score(o, s.compound);
  o->append(",\"pos\":");
  jw::Score(o, s.pos);
  o->append(",\"neg\":");
  jw::Score(o, s.neg);
  o->append(",\"neu\":");
  jw::Score(o, s.neu);
  o->append(",\"frustration\":");
  jw::Score(o, s.frustration);
  o->append(",\"churn_risk\":");
  jw::Score(o, s.churn_risk);
  o->append(",\"wants_human\":");
  jw::Score(o, s.wants_human);
  o->append(",\"urgency\":");
  jw::Score(o, s.urgency);
  o->append(",\"terms\":[");
  for (size_t i = 0; i < s.terms.size(); ++i) {
    const sentiment::Term& t = s.terms[i];
    if (i > 0) o->push_back(',');
    o->append("{\"text\":");
    jw::Str(o, t.text);
    o->append(",\"weight\":");
    jw::Score(o, static_cast<double>(t.weight));
    o->append(",\"signal\":");
    jw::Str(o, t.signal);
    o->push_back('}');
  }
  o->append("]}");
}

void AppendTrend(std::string* o, const sentiment::ConversationTrend& t) {
  o->append("{\"messages\":");
  jw::Int(o, t.messages);
  o->append(",\"last\":");
  jw::Score(o, t.last);
  o->append(",\"ewma\":");
  jw::Score(o, t.ewma);
  o->append(",\"slope\":");
  jw::Score(o, t.slope);
  o->append(",\"min\":");
  jw::Score(o, t.min);
  o->append(",\"escalating\":");
  jw::Bool(o, t.escalating);
  o->push_back('}');
}

void AppendApiCall(std::string* o, const ApiCall& c) {
  o->append("{\"kind\":");
  jw::Str(o, c.kind);
  o->append(",\"method\":");
  jw::Str(o, c.method);
  o->append(",\"path\":");
  jw::Str(o, c.path);
  o->append(",\"body\":");
  jw::Str(o, c.body);
  o->append(",\"idempotency_key\":");
  jw::Str(o, c.idempotency_key);
  o->push_back('}');
}

// Text that does not look like JSON is kept as a string, as the parse-based version did for text
// that failed to parse.
void AppendScriptJson(std::string* o, const std::string& text, std::string_view empty, char open, char close) {
  if (text.empty()) {
    o->append(empty);
  } else if (text.size() >= 2 && text.front() == open && text.back() == close) {
    o->append(text);
  } else {
    jw::Str(o, text);
  }
}

std::string ErrorRecord(std::string_view error) {
  std::string o = "{\"error\":";
  jw::Str(&o, error);
  o.push_back('}');
  return o;
}

std::string TicketSummaryJson(const Ticket& t) {
  std::string o;
  AppendTicketSummary(&o, t);
  return o;
}
std::string DecisionSetJson(const DecisionSet& d) {
  std::string o;
  AppendDecisionSet(&o, d);
  return o;
}
std::string MessageScoreJson(const sentiment::MessageScore& s) {
  std::string o;
  AppendMessageScore(&o, s);
  return o;
}
std::string TrendJson(const sentiment::ConversationTrend& t) {
  std::string o;
  AppendTrend(&o, t);
  return o;
}
std::string ApiCallJson(const ApiCall& c) {
  std::string o;
  AppendApiCall(&o, c);
  return o;
}

}  // namespace deskhook
