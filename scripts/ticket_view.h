// The fields of `t` as scripts see them, named once here so that the binding (which builds the
// Lua view) and the decision log (which records what each script read) agree. No Lua here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "connectors/model/ticket.h"
#include "scripts/runtime.h"

namespace deskhook::scripts {

enum class Field : uint8_t {
  kEvent, kInstance, kPlatform, kId, kSubject, kStatus, kPriority, kChannel, kUrl, kGroupId,
  kGroupName, kCreatedAt, kUpdatedAt, kRequester, kAssignee, kTags, kTagged, kMessages, kLatest,
  kText, kSentiment, kSimilar,
  kCount  // number of fields; not a field
};
static_assert(static_cast<int>(Field::kCount) <= 32, "fields_read is a 32-bit mask");

std::string_view FieldName(Field f);           // "event", "instance", ...

// The keys of t.sentiment, in this order; bit i of a sentiment mask is kSentimentKeys[i].
inline constexpr int kSentimentKeyCount = 11;
extern const char* const kSentimentKeys[kSentimentKeyCount];
inline constexpr uint32_t kAllSentimentKeys = (1u << kSentimentKeyCount) - 1;
std::optional<Field> FindField(std::string_view name);

// The customer's latest message in this delivery, or nullptr.
const Message* LatestCustomerMessage(const Ticket& t);
// t.text: event.text when the host set it, else the latest customer message's body, else "".
std::string_view EventText(const EventContext& event);

// Serialised field values of one event, each computed at most once (the records of all scripts
// of an event share them).
class FieldJsonCache {
 public:
  explicit FieldJsonCache(const EventContext& event) : event_(event) {}
  // JSON object with the fields in `mask` (bit i = Field i) and their values as scripts saw
  // them (message bodies are given as sizes, except t.text). t.sentiment holds only the keys in
  // `sentiment_mask` (bit i = kSentimentKeys[i]): what the script read of it.
  std::string Object(uint32_t mask, uint32_t sentiment_mask = kAllSentimentKeys);

 private:
  const std::string& Get(Field f, uint32_t sentiment_mask);
  const EventContext& event_;
  std::string parts_[static_cast<size_t>(Field::kCount)];
  uint32_t sentiment_mask_ = 0;  // the keys parts_[kSentiment] holds, when have_ has it
  uint32_t have_ = 0;
};

}  // namespace deskhook::scripts
