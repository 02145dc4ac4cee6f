// One outbound HTTP request to a helpdesk, as the outbox stores it. Authentication headers are
// not part of it: they are added at send time from the instance's config, so secrets never land
// in the store.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace deskhook {

struct ApiCall {
  std::string kind;    // "ticket_update", "tag", "untag", "note", "assign", "priority", "article"
  std::string method;  // "PUT", "POST", "DELETE"
  std::string path;    // relative to the instance's base URL, e.g. "/api/v2/tickets/35436"
  std::vector<std::pair<std::string, std::string>> headers;  // non-secret headers only
  std::string body;    // JSON text; may be empty
  // Stable across retries and restarts: hash of (event id, call index, body). Used as the
  // outbox's unique key and, where the platform supports it, sent as an idempotency marker.
  std::string idempotency_key;
  // Calls of one event are delivered in order. A call may capture a value from its 2xx JSON
  // answer (JSON pointer, e.g. "/id") under a name; later calls of the same event use it as
  // {{name}} in path or body (Intercom needs a tag's id before tagging a conversation).
  std::string capture_pointer;
  std::string capture_as;
};

}  // namespace deskhook
