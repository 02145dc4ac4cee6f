#include "connectors/common/json_util.h"

#include <charconv>
#include <exception>

namespace deskhook::common {

namespace json = boost::json;

Result<json::object> ParseJsonObject(std::string_view body) {
  try {
    boost::system::error_code ec;
    json::parse_options opts;
    opts.max_depth = 64;
    json::value v = json::parse(body, ec, {}, opts);
    if (ec) return Status::InvalidArgument("malformed JSON: " + ec.message());
    if (!v.is_object()) return Status::InvalidArgument("expected a JSON object");
    return std::move(v.as_object());
  } catch (const std::exception& e) {  // allocation failures
    return Status::InvalidArgument(std::string("malformed JSON: ") + e.what());
  }
}

const json::value* Member(const json::object* obj, std::string_view key) {
  if (obj == nullptr) return nullptr;
  return obj->if_contains(key);
}

const json::object* ObjectAt(const json::object* obj, std::string_view key) {
  const json::value* v = Member(obj, key);
  return v != nullptr ? v->if_object() : nullptr;
}

const json::array* ArrayAt(const json::object* obj, std::string_view key) {
  const json::value* v = Member(obj, key);
  return v != nullptr ? v->if_array() : nullptr;
}

std::string ScalarText(const json::value* v) {
  if (v == nullptr) return "";
  switch (v->kind()) {
    case json::kind::string: return std::string(v->get_string());
    case json::kind::int64: return std::to_string(v->get_int64());
    case json::kind::uint64: return std::to_string(v->get_uint64());
    case json::kind::bool_: return v->get_bool() ? "true" : "false";
    case json::kind::double_: {
      double d = v->get_double();
      // Large ids sometimes arrive as doubles; print integral values without exponent.
      if (d > -9e18 && d < 9e18 && d == static_cast<double>(static_cast<int64_t>(d))) return std::to_string(static_cast<int64_t>(d));
      return json::serialize(*v);
    }
    default: return "";
  }
}

std::string TextAt(const json::object* obj, std::string_view key) { return ScalarText(Member(obj, key)); }

std::optional<int64_t> IntAt(const json::object* obj, std::string_view key) {
  const json::value* v = Member(obj, key);
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    return static_cast<int64_t>(v->get_uint64());
  }
  if (v->is_string()) {
    std::string_view s = v->get_string();
    int64_t out = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec == std::errc() && ptr == s.data() + s.size() && !s.empty()) return out;
  }
  return std::nullopt;
}

std::optional<bool> BoolAt(const json::object* obj, std::string_view key) {
  const json::value* v = Member(obj, key);
  if (v == nullptr || !v->is_bool()) return std::nullopt;
  return v->get_bool();
}

}  // namespace deskhook::common
