// Helpers shared by the per-platform call builders (zendesk_calls, intercom_calls): stable
// idempotency keys, the note marker that lets a retried note be recognised, id checks and
// percent-encoding. Pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/model/api_call.h"

namespace deskhook {

// What a call builder produced for one event: the calls in send order, and one line per decision
// it could not turn into a call (bad id, missing config, unsupported by the API version). The
// host should write `skipped` to the event's decision log.
struct CallPlan {
  std::vector<ApiCall> calls;
  std::vector<std::string> skipped;
};

// Lowercase hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

// Stable across retries and restarts: hex SHA-256 prefix (32 chars) over
// (event_key, index, method, path, body), fields length-prefixed so they cannot run together.
std::string CallIdempotencyKey(std::string_view event_key, size_t index, std::string_view method,
                               std::string_view path, std::string_view body);

// "[deskhook] ref <16 hex>", derived from (event_key, what). Written into non-idempotent effects
// (internal notes, article drafts) so that, after an ambiguous failure, a read of the ticket or
// article list can tell whether the effect already happened.
inline constexpr std::string_view kMarkerPrefix = "[deskhook] ref ";
std::string EffectMarker(std::string_view event_key, std::string_view what);
// The first marker found in `text` (the whole "[deskhook] ref xxxxxxxxxxxxxxxx"), if any.
std::optional<std::string> FindEffectMarker(std::string_view text);

// True when some JSON string anywhere in `json_text` contains `marker` (JSON escapes decoded).
// False for malformed JSON or an empty marker.
bool JsonMentions(std::string_view json_text, std::string_view marker);

// The marker carried by `call` (its body), checked against a read of the platform: true when
// the response shows the call's effect is already in place.
bool EffectPresentInResponse(const ApiCall& call, std::string_view check_response);

// Non-empty, digits only, fits in int64.
bool IsDecimalId(std::string_view s);
// RFC 3986 percent-encoding of everything except unreserved characters.
std::string PercentEncode(std::string_view s);

// Content-Type / Accept: application/json.
std::vector<std::pair<std::string, std::string>> JsonHeaders();

// Trimmed, de-duplicated (first occurrence wins), empty entries dropped.
std::vector<std::string> UniqueNonEmpty(const std::vector<std::string>& items);

}  // namespace deskhook
