#include "scripts/ticket_view.h"

#include <array>

#include "scripts/json_writer.h"

namespace deskhook::scripts {

namespace {

constexpr std::array<std::string_view, static_cast<size_t>(Field::kCount)> kNames = {
    "event",      "instance",   "platform", "id",       "subject", "status",   "priority", "channel",
    "url",        "group_id",   "group_name", "created_at", "updated_at", "requester", "assignee",
    "tags",       "tagged",     "messages", "latest",   "text",    "sentiment", "similar"};

void PersonJson(std::string* o, const Person& p) {
  o->append("{\"id\":");
  jsonw::Str(o, p.id);
  o->append(",\"name\":");
  jsonw::Str(o, p.name);
  o->append(",\"email\":");
  jsonw::Str(o, p.email);
  o->push_back('}');
}

void MessageJson(std::string* o, const Message& m, bool with_body) {
  o->append("{\"id\":");
  jsonw::Str(o, m.id);
  o->append(",\"role\":");
  jsonw::Str(o, AuthorRoleName(m.role));
  o->append(",\"author_id\":");
  jsonw::Str(o, m.author_id);
  o->append(",\"time\":");
  jsonw::Int(o, m.time_ms);
  o->append(",\"public\":");
  jsonw::Bool(o, m.is_public);
  if (with_body) {
    o->append(",\"body\":");
    jsonw::Str(o, m.body);
  } else {
    o->append(",\"body_bytes\":");
    jsonw::Int(o, static_cast<int64_t>(m.body.size()));
  }
  o->push_back('}');
}

void TermTexts(std::string* o, const sentiment::MessageScore& s) {
  // The terms by text only, each once: their weights and signals are in the event's sentiment
  // record, and repeating them in every script's inputs made up a third of the decision log.
  o->push_back('[');
  bool first = true;
  for (size_t i = 0; i < s.terms.size(); ++i) {
    bool seen = false;
    for (size_t j = 0; j < i && !seen; ++j) seen = s.terms[j].text == s.terms[i].text;
    if (seen) continue;
    if (!first) o->push_back(',');
    first = false;
    jsonw::Str(o, s.terms[i].text);
  }
  o->push_back(']');
}

void TrendJson(std::string* o, const sentiment::ConversationTrend& tr) {
  o->append("{\"messages\":");
  jsonw::Int(o, tr.messages);
  o->append(",\"last\":");
  jsonw::Score(o, tr.last);
  o->append(",\"ewma\":");
  jsonw::Score(o, tr.ewma);
  o->append(",\"slope\":");
  jsonw::Score(o, tr.slope);
  o->append(",\"min\":");
  jsonw::Score(o, tr.min);
  o->append(",\"escalating\":");
  jsonw::Bool(o, tr.escalating);
  o->push_back('}');
}

// t.sentiment with the keys in `mask` (kSentimentKeys order).
void SentimentJson(std::string* o, const EventContext& e, uint32_t mask) {
  const auto& s = e.sentiment;
  const double scores[] = {s.compound, s.pos, s.neg, s.neu, s.frustration, s.churn_risk, s.wants_human, s.urgency};
  o->push_back('{');
  bool first = true;
  for (int i = 0; i < kSentimentKeyCount; ++i) {
    if (!(mask & (1u << i))) continue;
    if (!first) o->push_back(',');
    first = false;
    jsonw::Key(o, kSentimentKeys[i]);
    if (i < 8) {
      jsonw::Score(o, scores[i]);
    } else if (i == 8) {
      jsonw::Bool(o, e.trend.escalating);
    } else if (i == 9) {
      TrendJson(o, e.trend);
    } else {
      TermTexts(o, s);
    }
  }
  o->push_back('}');
}

// Appends the JSON of t.<f> as scripts saw it; of t.sentiment, the keys in `sentiment_mask`.
void FieldJson(std::string* o, const EventContext& e, Field f, bool full, uint32_t sentiment_mask) {
  const Ticket& t = *e.ticket;
  switch (f) {
    case Field::kEvent: return jsonw::Str(o, EventKindName(e.kind));
    case Field::kInstance: return jsonw::Str(o, t.instance);
    case Field::kPlatform: return jsonw::Str(o, t.platform);
    case Field::kId: return jsonw::Str(o, t.id);
    case Field::kSubject: return jsonw::Str(o, t.subject);
    case Field::kStatus: return jsonw::Str(o, t.status);
    case Field::kPriority: return jsonw::Str(o, t.priority);
    case Field::kChannel: return jsonw::Str(o, t.channel);
    case Field::kUrl: return jsonw::Str(o, t.url);
    case Field::kGroupId: return jsonw::Str(o, t.group_id);
    case Field::kGroupName: return jsonw::Str(o, t.group_name);
    case Field::kCreatedAt: return jsonw::Int(o, t.created_at_ms);
    case Field::kUpdatedAt: return jsonw::Int(o, t.updated_at_ms);
    case Field::kRequester: return PersonJson(o, t.requester);
    case Field::kAssignee: return PersonJson(o, t.assignee);
    case Field::kTags:
    case Field::kTagged: return jsonw::Strings(o, t.tags);
    case Field::kMessages:
      o->push_back('[');
      for (size_t i = 0; i < t.messages.size(); ++i) {
        if (i > 0) o->push_back(',');
        MessageJson(o, t.messages[i], full);
      }
      o->push_back(']');
      return;
    case Field::kLatest:
      if (const Message* m = LatestCustomerMessage(t)) MessageJson(o, *m, full);
      else o->append("null");
      return;
    case Field::kText: return jsonw::Str(o, EventText(e));
    case Field::kSentiment: return SentimentJson(o, e, sentiment_mask);
    case Field::kSimilar:
      o->append("{\"count\":");
      jsonw::Int(o, e.similar.count);
      o->append(",\"group_id\":");
      jsonw::Str(o, e.similar.group_id);
      o->append(",\"examples\":");
      jsonw::Strings(o, e.similar.examples);
      o->push_back('}');
      return;
    case Field::kCount: break;
  }
  o->append("null");
}

}  // namespace

const char* const kSentimentKeys[kSentimentKeyCount] = {
    "compound", "pos", "neg", "neu", "frustration", "churn_risk", "wants_human", "urgency",
    "escalating", "trend", "terms"};

std::string_view FieldName(Field f) { return kNames[static_cast<size_t>(f)]; }

std::optional<Field> FindField(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<Field>(i);
  }
  return std::nullopt;
}

const Message* LatestCustomerMessage(const Ticket& t) {
  for (auto it = t.messages.rbegin(); it != t.messages.rend(); ++it) {
    if (it->role == AuthorRole::kCustomer) return &*it;
  }
  return nullptr;
}

std::string_view EventText(const EventContext& event) {
  if (!event.text.empty()) return event.text;
  const Message* m = event.ticket ? LatestCustomerMessage(*event.ticket) : nullptr;
  return m ? std::string_view(m->body) : std::string_view();
}

const std::string& FieldJsonCache::Get(Field f, uint32_t sentiment_mask) {
  const auto i = static_cast<size_t>(f);
  // The scripts of an event mostly read the same keys of t.sentiment: the last subset is kept.
  if (f == Field::kSentiment && sentiment_mask != sentiment_mask_) have_ &= ~(1u << i);
  if (!(have_ & (1u << i))) {
    parts_[i].clear();
    FieldJson(&parts_[i], event_, f, false, sentiment_mask);
    if (f == Field::kSentiment) sentiment_mask_ = sentiment_mask;
    have_ |= 1u << i;
  }
  return parts_[i];
}

std::string FieldJsonCache::Object(uint32_t mask, uint32_t sentiment_mask) {
  if (mask == 0 || event_.ticket == nullptr) return "{}";
  size_t size = 2;
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (mask & (1u << i)) size += kNames[i].size() + 4 + Get(static_cast<Field>(i), sentiment_mask).size();
  }
  std::string out;
  out.reserve(size);
  out += '{';
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (!(mask & (1u << i))) continue;
    if (out.size() > 1) out += ',';
    out += '"';
    out += kNames[i];  // plain ASCII names: no escaping needed
    out += "\":";
    out += Get(static_cast<Field>(i), sentiment_mask);
  }
  out += '}';
  return out;
}

std::string_view HandlerName(EventKind kind) {
  switch (kind) {
    case EventKind::kTicketCreated: return "on_ticket_created";
    case EventKind::kCustomerReplied: return "on_customer_reply";
    case EventKind::kAgentReplied: return "on_agent_reply";
    case EventKind::kTicketUpdated: return "on_ticket_updated";
    case EventKind::kPing: return "";
  }
  return "";
}

}  // namespace deskhook::scripts
