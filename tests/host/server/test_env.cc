#include "test_env.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "host/webhook_signer.h"

namespace deskhook::testing {

TempDir::TempDir() {
  char tmpl[] = "/tmp/deskhook-test-XXXXXX";
  path = mkdtemp(tmpl);
}
TempDir::~TempDir() { std::filesystem::remove_all(path); }

int64_t NowS() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string WriteFile(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string ConfigJson(const std::string& dir, const std::string& extra) {
  return std::string(R"({
  "http": {"address": "127.0.0.1", "port": 0, "io_threads": 2, "worker_threads": 2, "body_limit_bytes": 65536, "noop_endpoint": true},
  "store": {"path": ")") + dir + R"(/deskhook.db"},
  "workers": 2,
  "admin": {"token": ")" + kAdminToken + R"("},
  "log": {"level": "warn"},
  "connectors": [
    {"name": "zd", "kind": "zendesk", "signing_secret": ")" + kZendeskSecret + R"(",
     "base_url": "http://127.0.0.1:9", "api_email": "bot@example.com", "api_token": "zd-api-token-secret",
     "self_user_id": "999"},
    {"name": "ic", "kind": "intercom", "signing_secret": ")" + kIntercomSecret + R"(",
     "base_url": "http://127.0.0.1:9", "access_token": "ic-access-token-secret", "admin_id": "777"}
  ])" + extra + "\n}\n";
}

InstanceConfig ZendeskInstance() {
  InstanceConfig c;
  c.name = "zd";
  c.kind = "zendesk";
  c.signing_secret = kZendeskSecret;
  return c;
}

InstanceConfig IntercomInstance() {
  InstanceConfig c;
  c.name = "ic";
  c.kind = "intercom";
  c.signing_secret = kIntercomSecret;
  return c;
}

std::string ZendeskTriggerBody(const std::string& ticket_id, const std::string& comment) {
  return R"({"source":"zendesk-trigger","event":"ticket.created","ticket":{"id":")" + ticket_id +
         R"(","subject":"Help","description":")" + comment + R"(","latest_comment":")" + comment +
         R"(","status":"new","priority":"normal","type":"question","tags":"billing vip","via":"web",)"
         R"("created_at":"2026-11-22T06:00:00Z","updated_at":"2026-11-22T06:00:00Z","url":"https://x.zendesk.com/t/1",)"
         R"("requester":{"id":"501","name":"Ann","email":"ann@example.com"},)"
         R"("assignee":{"id":"","name":"","email":""},"group":{"id":"","name":""},"brand":"Acme"}})";
}

std::string IntercomCreatedBody(const std::string& notif_id, const std::string& conv_id, const std::string& text) {
  return R"({"type":"notification_event","app_id":"abc","id":")" + notif_id +
         R"(","topic":"conversation.user.created","created_at":1795327200,"data":{"type":"notification_event_data",)"
         R"("item":{"type":"conversation","id":")" + conv_id +
         R"(","created_at":1795327200,"updated_at":1795327200,"open":true,"state":"open","priority":"not_priority",)"
         R"("source":{"type":"conversation","id":"1","delivered_as":"customer_initiated","subject":"","body":"<p>)" + text +
         R"(</p>","author":{"type":"user","id":"u1","name":"Bo","email":"bo@example.com"}},)"
         R"("contacts":{"type":"contact.list","contacts":[{"type":"contact","id":"u1"}]},)"
         R"("tags":{"type":"tag.list","tags":[]},"conversation_parts":{"type":"conversation_part.list","conversation_parts":[],"total_count":0}}}})";
}

httplib::Headers SignedHeaders(const InstanceConfig& inst, const std::string& body, const std::string& delivery_id,
                               int64_t now_s) {
  HeaderMap h = SignDelivery(inst, body, now_s == 0 ? NowS() : now_s, delivery_id);
  httplib::Headers out;
  for (const auto& [k, v] : h.items()) {
    if (k != "Content-Type") out.emplace(k, v);
  }
  return out;
}

}  // namespace deskhook::testing
