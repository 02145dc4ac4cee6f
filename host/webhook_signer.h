// Signs a delivery the way the platform would, for `deskhook replay`, the demo, the load
// generator and tests. The inverse of Connector::Verify.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "connectors/connector.h"

namespace deskhook {

// Headers (Content-Type, signature, timestamp, delivery id) for `body` sent to `instance` at
// `now_s`. `delivery_id` may be empty.
HeaderMap SignDelivery(const InstanceConfig& instance, std::string_view body, int64_t now_s,
                       const std::string& delivery_id);

// "2026-11-22T06:00:00Z" for unix seconds.
std::string IsoTimestamp(int64_t unix_s);

}  // namespace deskhook
