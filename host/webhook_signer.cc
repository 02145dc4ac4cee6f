#include "host/webhook_signer.h"

#include <ctime>

#include "connectors/common/crypto.h"

namespace deskhook {

std::string IsoTimestamp(int64_t unix_s) {
  std::time_t t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

HeaderMap SignDelivery(const InstanceConfig& instance, std::string_view body, int64_t now_s,
                       const std::string& delivery_id) {
  HeaderMap h;
  h.Add("Content-Type", "application/json");
  if (instance.kind == "zendesk") {
    std::string ts = IsoTimestamp(now_s);
    h.Add("X-Zendesk-Webhook-Signature",
          common::Base64Encode(common::HmacSha256Concat(instance.signing_secret, ts, body)));
    h.Add("X-Zendesk-Webhook-Signature-Timestamp", ts);
    if (!delivery_id.empty()) h.Add("X-Zendesk-Webhook-Invocation-Id", delivery_id);
  } else if (instance.kind == "intercom") {
    h.Add("X-Hub-Signature", "sha1=" + common::HexEncode(common::HmacSha1(instance.signing_secret, body)));
  }
  return h;
}

}  // namespace deskhook
