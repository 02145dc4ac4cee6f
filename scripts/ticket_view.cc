#include "scripts/ticket_view.h"

#include <array>

#include <boost/json.hpp>

namespace deskhook::scripts {
namespace json = boost::json;

namespace {

constexpr std::array<std::string_view, static_cast<size_t>(Field::kCount)> kNames = {
    "event",      "instance",   "platform", "id",       "subject", "status",   "priority", "channel",
    "url",        "group_id",   "group_name", "created_at", "updated_at", "requester", "assignee",
    "tags",       "tagged",     "messages", "latest",   "text",    "sentiment", "similar"};

json::object PersonJson(const Person& p) {
  return json::object{{"id", p.id}, {"name", p.name}, {"email", p.email}};
}

json::array StringsJson(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

json::object MessageJson(const Message& m, bool with_body) {
  json::object o{{"id", m.id}, {"role", AuthorRoleName(m.role)}, {"author_id", m.author_id},
                 {"time", m.time_ms}, {"public", m.is_public}};
  if (with_body) o["body"] = m.body;
  else o["body_bytes"] = m.body.size();
  return o;
}

json::object SentimentJson(const EventContext& e) {
  const auto& s = e.sentiment;
  const auto& tr = e.trend;
  json::array terms;
  for (const auto& t : s.terms) {
    terms.push_back(json::object{{"text", t.text}, {"weight", t.weight}, {"signal", t.signal}});
  }
  return json::object{
      {"compound", s.compound}, {"pos", s.pos}, {"neg", s.neg}, {"neu", s.neu},
      {"frustration", s.frustration}, {"churn_risk", s.churn_risk}, {"wants_human", s.wants_human},
      {"urgency", s.urgency}, {"escalating", tr.escalating},
      {"trend", json::object{{"messages", tr.messages}, {"last", tr.last}, {"ewma", tr.ewma},
                             {"slope", tr.slope}, {"min", tr.min}, {"escalating", tr.escalating}}},
      {"terms", std::move(terms)}};
}

json::value FieldJson(const EventContext& e, Field f, bool full) {
  const Ticket& t = *e.ticket;
  switch (f) {
    case Field::kEvent: return json::string(EventKindName(e.kind));
    case Field::kInstance: return json::string(t.instance);
    case Field::kPlatform: return json::string(t.platform);
    case Field::kId: return json::string(t.id);
    case Field::kSubject: return json::string(t.subject);
    case Field::kStatus: return json::string(t.status);
    case Field::kPriority: return json::string(t.priority);
    case Field::kChannel: return json::string(t.channel);
    case Field::kUrl: return json::string(t.url);
    case Field::kGroupId: return json::string(t.group_id);
    case Field::kGroupName: return json::string(t.group_name);
    case Field::kCreatedAt: return t.created_at_ms;
    case Field::kUpdatedAt: return t.updated_at_ms;
    case Field::kRequester: return PersonJson(t.requester);
    case Field::kAssignee: return PersonJson(t.assignee);
    case Field::kTags:
    case Field::kTagged: return StringsJson(t.tags);
    case Field::kMessages: {
      json::array a;
      for (const auto& m : t.messages) a.push_back(MessageJson(m, full));
      return a;
    }
    case Field::kLatest: {
      const Message* m = LatestCustomerMessage(t);
      return m ? json::value(MessageJson(*m, full)) : json::value(nullptr);
    }
    case Field::kText: return json::string(EventText(e));
    case Field::kSentiment: return SentimentJson(e);
    case Field::kSimilar:
      return json::object{{"count", e.similar.count}, {"group_id", e.similar.group_id},
                          {"examples", StringsJson(e.similar.examples)}};
    case Field::kCount: break;
  }
  return nullptr;
}

}  // namespace

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

const std::string& FieldJsonCache::Get(Field f) {
  const auto i = static_cast<size_t>(f);
  if (!(have_ & (1u << i))) {
    unsigned char buffer[4096];
    json::monotonic_resource mr(buffer, sizeof(buffer));
    parts_[i] = json::serialize(json::value(FieldJson(event_, f, false), &mr));
    have_ |= 1u << i;
  }
  return parts_[i];
}

std::string FieldJsonCache::Object(uint32_t mask) {
  if (mask == 0 || event_.ticket == nullptr) return "{}";
  std::string out = "{";
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (!(mask & (1u << i))) continue;
    if (out.size() > 1) out += ',';
    out += '"';
    out += kNames[i];  // plain ASCII names: no escaping needed
    out += "\":";
    out += Get(static_cast<Field>(i));
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
