// The admin API under /api/, behind a bearer token from the config: read the decision log,
// inspect and recover the outbox, review FAQ drafts. Handlers for modules that are optional are
// plugged in as functions so this file does not depend on them.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "host/store.h"

namespace deskhook {

namespace http { class Router; }

struct AdminHandlers {
  // Outbox recovery (OutboxDelivery::Retry / Drop).
  std::function<Status(int64_t id)> outbox_retry;
  std::function<Status(int64_t id)> outbox_drop;
  // FAQ drafts: list as a JSON array; act on one ("approve" | "reject" | "edit" with a JSON body).
  std::function<std::string(const std::string& state)> faq_list;
  std::function<Status(int64_t id, const std::string& action, const std::string& body)> faq_act;
  // Manual override of a ticket: JSON body {"instance","ticket","add_tags","remove_tags","group",...};
  // returns the new event id carrying the override calls.
  std::function<Result<int64_t>(const std::string& body)> override_ticket;
  // Processing pause (Pipeline::Pause / Resume): the state as JSON
  // ({"paused","since_ms","reason","pending"}); pause with the operator's reason; resume.
  std::function<std::string()> pipeline_state;
  std::function<Status(const std::string& reason)> pipeline_pause;
  std::function<Status()> pipeline_resume;
};

class AdminApi {
 public:
  // REQUIRES: store outlives this. An empty token disables the API (every call answers 403).
  AdminApi(Store* store, std::string token, AdminHandlers handlers);
  // Adds the /api/ routes (sync handlers, run on the server's worker threads: they read the store).
  void Register(http::Router& router);

 private:
  bool Authorized(const std::string& authorization_header) const;

  Store* store_;
  std::string token_;
  AdminHandlers handlers_;
};

// JSON views shared with the CLI.
std::string EventJson(const StoredEvent& e, bool with_body);
std::string OutboxItemJson(const OutboxItem& item);

}  // namespace deskhook
