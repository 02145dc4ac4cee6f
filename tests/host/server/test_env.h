// Helpers for host tests: temp dirs, configs, signed deliveries.
#pragma once

#include <cstdint>
#include <string>

#include <httplib.h>

#include "bench_util.h"
#include "connectors/connector.h"

namespace deskhook::testing {

constexpr char kZendeskSecret[] = "zd-test-signing-secret-0123456789";
constexpr char kIntercomSecret[] = "ic-test-client-secret-9876543210";
constexpr char kAdminToken[] = "admin-token-for-tests-42";

// A fresh directory under /tmp, removed by the caller's TempDir destructor.
struct TempDir {
  TempDir();
  ~TempDir();
  std::string path;
};

// Config JSON with a zendesk ("zd") and an intercom ("ic") instance, port 0, store in `dir`.
std::string ConfigJson(const std::string& dir, const std::string& extra_top_level = "");
std::string WriteFile(const std::string& path, const std::string& content);
std::string ReadFile(const std::string& path);

InstanceConfig ZendeskInstance();
InstanceConfig IntercomInstance();

// Minimal valid bodies.
std::string ZendeskTriggerBody(const std::string& ticket_id, const std::string& comment);
std::string IntercomCreatedBody(const std::string& notif_id, const std::string& conv_id, const std::string& text);

httplib::Headers SignedHeaders(const InstanceConfig& inst, const std::string& body, const std::string& delivery_id,
                               int64_t now_s = 0);
int64_t NowS();
using bench::FreePort;

}  // namespace deskhook::testing
