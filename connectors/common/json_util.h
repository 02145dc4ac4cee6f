// Small read-only helpers over Boost.JSON for parsing webhook bodies. Lookups never throw:
// a missing key or a value of another type reads as null / "" / nullptr.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "connectors/model/status.h"

namespace deskhook::common {

// Parses `body` as one JSON object. InvalidArgument with a short reason ("malformed JSON: ..."
// or "expected a JSON object") otherwise; never throws.
Result<boost::json::object> ParseJsonObject(std::string_view body);

// The member `key` of `obj` (nullptr when absent or when `obj` is nullptr).
const boost::json::value* Member(const boost::json::object* obj, std::string_view key);
// The member as an object / array (nullptr when absent or of another type).
const boost::json::object* ObjectAt(const boost::json::object* obj, std::string_view key);
const boost::json::array* ArrayAt(const boost::json::object* obj, std::string_view key);

// Scalars as text: strings as is, integers and booleans printed, null/absent/objects as "".
// Ids arrive as strings or numbers depending on the platform and version.
std::string ScalarText(const boost::json::value* v);
std::string TextAt(const boost::json::object* obj, std::string_view key);

// Integers (or integral strings) as int64; nullopt otherwise.
std::optional<int64_t> IntAt(const boost::json::object* obj, std::string_view key);
// true/false booleans; nullopt otherwise.
std::optional<bool> BoolAt(const boost::json::object* obj, std::string_view key);

}  // namespace deskhook::common
