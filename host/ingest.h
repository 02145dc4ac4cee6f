// The inbound path of one webhook delivery, independent of the HTTP library: find the instance,
// check size and content type, verify the signature, parse, store (group commit), and only then
// acknowledge. Every refusal is a short JSON reason and changes nothing.
//
// Thread-safety: Handle() and HandleAsync() may be called from any number of threads at once.
// HandleAsync's `done` and the OnStored callback run on the calling thread for a refusal, on the
// store's writer thread once an accepted delivery's transaction has ended.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "connectors/connector.h"
#include "host/store.h"

namespace deskhook {

struct IngestReply {
  int status = 200;
  std::string body;           // JSON: {"status":"stored","event_id":N} or {"error":..,"reason":..}
  int64_t event_id = 0;       // > 0 when stored (or duplicate of a stored event)
};

// Called after an event is committed (not for duplicates), in commit order, on the store's
// writer thread, with the delivery as the connector normalised it (the callee may keep it:
// Pipeline::Offer). Must be quick and must not block on a store write.
using OnStored = std::function<void(int64_t event_id, const std::string& instance,
                                    const std::string& ticket_id, InboundEvent&& event)>;

class Ingest {
 public:
  // REQUIRES: store and every connector outlive the Ingest; the Ingest outlives every
  // HandleAsync until its `done` has been called. `clock_s` returns unix seconds.
  Ingest(Store* store, std::map<std::string, const Connector*> connectors, size_t body_limit,
         OnStored on_stored, std::function<int64_t()> clock_s = nullptr);

  // Checks the delivery and, if it is accepted, appends it without blocking. `done` is called
  // exactly once with the reply: inline, before this returns, for every refusal (404, 413, 415,
  // 401, 400) and when the store is closing (503); otherwise on the store's writer thread after
  // the transaction holding the event ended (200 stored or duplicate, or 503), after OnStored
  // for a newly stored event. `headers` and `body` are borrowed for the call only. `done` should
  // be quick (the writer's next batch waits for it) and must not block on a store write.
  void HandleAsync(std::string_view instance, const HeaderMap& headers, std::string_view body,
                   std::function<void(IngestReply)> done);

  // HandleAsync that blocks until the reply is known. Not on the store's writer thread.
  IngestReply Handle(std::string_view instance, const HeaderMap& headers, std::string_view body);

 private:
  const Connector* Find(std::string_view instance) const;

  Store* store_;
  const std::map<std::string, const Connector*, std::less<>> connectors_;
  size_t body_limit_;
  OnStored on_stored_;
  std::function<int64_t()> clock_s_;
};

// {"error": code, "reason": reason} as JSON text.
std::string ErrorJson(std::string_view code, std::string_view reason);

}  // namespace deskhook
