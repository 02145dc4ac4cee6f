// Helpers for connector tests: reading the shared reference material by path.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "connectors/model/headers.h"

namespace deskhook::testing {

inline std::string SharedPath(const std::string& rel) { return std::string(DESKHOOK_SHARED_DIR) + "/" + rel; }

// Whole file as bytes; fails the current test when it cannot be read.
inline std::string ReadFileOrFail(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The vectors of one platform ("zendesk", "intercom", ...) from signature-test-vectors.json.
inline std::vector<boost::json::object> SignatureVectors(std::string_view platform) {
  std::string text = ReadFileOrFail(SharedPath("reference/signature-test-vectors.json"));
  std::vector<boost::json::object> out;
  boost::json::value v = boost::json::parse(text);
  for (const auto& item : v.as_array()) {
    if (item.as_object().at("platform").as_string() == platform) out.push_back(item.as_object());
  }
  return out;
}

inline std::string Str(const boost::json::object& o, std::string_view key) {
  return std::string(o.at(key).as_string());
}

inline HeaderMap HeadersOf(const boost::json::object& vector) {
  HeaderMap h;
  for (const auto& [k, v] : vector.at("headers").as_object()) {
    h.Add(std::string(k), std::string(v.as_string()));
  }
  return h;
}

}  // namespace deskhook::testing
