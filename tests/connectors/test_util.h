// Helpers for connector tests: reading the shared reference material by path.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "connectors/model/headers.h"
#include "connectors/model/status.h"

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

// Parses truncations and byte flips of every sample payload in `dir` (under the shared
// folder). Each must parse or be refused with InvalidArgument, never throw (checked here);
// returns how many were refused, so the caller can see the corruption was real.
template <typename ConnectorT>
int RejectedCorruptions(const ConnectorT& conn, const std::string& dir) {
  int rejected = 0;
  for (const auto& entry : std::filesystem::directory_iterator(SharedPath(dir))) {
    const std::string body = ReadFileOrFail(entry.path().string());
    for (size_t cut = 0; cut < body.size(); cut += 3) {
      std::string variant = body.substr(0, cut);
      if (cut % 2 == 1) variant = body, variant[cut] = static_cast<char>(variant[cut] ^ 0x5a);
      auto r = decltype(conn.Parse({}, variant))(Status::Internal("not run"));
      EXPECT_NO_THROW(r = conn.Parse({}, variant));
      EXPECT_TRUE(r.ok() || r.status().code() == Code::kInvalidArgument) << r.status().ToString();
      if (!r.ok()) ++rejected;
    }
  }
  return rejected;
}

inline bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
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
