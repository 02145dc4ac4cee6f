#include "host/ingest.h"

#include <chrono>
#include <exception>
#include <utility>

#include <openssl/sha.h>

#include "host/log.h"
#include "host/metrics.h"
#include "host/one_shot.h"
#include "host/wall_clock.h"

namespace deskhook {
namespace {

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(2 * SHA256_DIGEST_LENGTH);
  for (unsigned char b : digest) {
    out.push_back(hex[b >> 4]);
    out.push_back(hex[b & 15]);
  }
  return out;
}

bool IsJsonContentType(std::string_view ct) {
  // "application/json" with optional parameters ("; charset=utf-8"); case-insensitive type.
  size_t semi = ct.find(';');
  std::string_view type = ct.substr(0, semi);
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  return EqualsIgnoreCase(type, "application/json");
}

std::string MetaJson(const InboundEvent& e, const HeaderMap& headers) {
  std::string out = "{\"topic\":";
  log::AppendJsonString(&out, e.topic);
  out += ",\"delivery_id\":";
  log::AppendJsonString(&out, e.delivery_id);
  out += ",\"actor_id\":";
  log::AppendJsonString(&out, e.actor_id);
  if (auto ts = headers.Get("X-Zendesk-Webhook-Signature-Timestamp"); !ts.empty()) {
    out += ",\"signature_timestamp\":";
    log::AppendJsonString(&out, ts);
  }
  out += '}';
  return out;
}

// deskhook_webhook_requests_total and deskhook_ingest_seconds of one answered delivery.
void CountReply(const std::string& inst, int status, std::chrono::steady_clock::time_point started) {
  Metrics& m = Metrics::Global();
  m.Inc("deskhook_webhook_requests_total",
        Metrics::Labels({{"instance", inst}, {"status", std::to_string(status)}}));
  m.Observe("deskhook_ingest_seconds", Metrics::Labels({{"instance", inst}}),
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
}

}  // namespace

std::string ErrorJson(std::string_view code, std::string_view reason) {
  std::string out = "{\"error\":";
  log::AppendJsonString(&out, code);
  out += ",\"reason\":";
  log::AppendJsonString(&out, reason);
  out += '}';
  return out;
}

Ingest::Ingest(Store* store, std::map<std::string, const Connector*> connectors, size_t body_limit,
               OnStored on_stored, std::function<int64_t()> clock_s)
    : store_(store),
      connectors_(connectors.begin(), connectors.end()),
      body_limit_(body_limit),
      on_stored_(std::move(on_stored)),
      clock_s_(std::move(clock_s)) {
  if (!clock_s_) clock_s_ = [] { return WallMs() / 1000; };
}

const Connector* Ingest::Find(std::string_view instance) const {
  auto it = connectors_.find(instance);
  return it == connectors_.end() ? nullptr : it->second;
}

IngestReply Ingest::Handle(std::string_view instance, const HeaderMap& headers, std::string_view body) {
  OneShot<IngestReply> reply;
  HandleAsync(instance, headers, body, [&reply](IngestReply r) { reply.Set(std::move(r)); });
  return reply.Wait();
}

void Ingest::HandleAsync(std::string_view instance, const HeaderMap& headers, std::string_view body,
                         std::function<void(IngestReply)> done) {
  const auto started = std::chrono::steady_clock::now();
  const Connector* connector = Find(instance);
  std::string inst(connector ? instance : std::string_view("unknown"));
  auto refuse = [&](int status, std::string_view code, std::string_view reason) {
    IngestReply reply;
    reply.status = status;
    reply.body = ErrorJson(code, reason);
    log::Warn("webhook refused", {{"instance", std::string_view(inst)}, {"status", int64_t{status}},
                                  {"reason", reason}});
    CountReply(inst, status, started);
    done(std::move(reply));
  };

  if (connector == nullptr) {
    return refuse(404, "unknown_instance", "no connector instance named '" + std::string(instance) + "'");
  }
  if (body.size() > body_limit_) {
    return refuse(413, "payload_too_large", "body exceeds " + std::to_string(body_limit_) + " bytes");
  }
  if (!IsJsonContentType(headers.Get("Content-Type"))) {
    return refuse(415, "unsupported_media_type", "Content-Type must be application/json");
  }
  if (Status s = connector->Verify(headers, body, clock_s_()); !s.ok()) {
    Metrics::Global().Inc("deskhook_signature_failures_total", Metrics::Labels({{"instance", inst}}));
    return refuse(401, "unauthenticated", s.message());
  }
  Result<InboundEvent> event = connector->Parse(headers, body);
  if (!event.ok()) return refuse(400, "bad_request", event.status().message());

  NewEvent ne;
  ne.instance = inst;
  ne.ticket_id = event->ticket.id;
  ne.kind = std::string(EventKindName(event->kind));
  if (!event->delivery_id.empty()) {
    ne.dedupe_key = event->delivery_id;
  } else {
    ne.dedupe_key = "sha256:" + Sha256Hex(body);
    ne.dedupe_by_hash = true;
  }
  ne.received_ms = WallMs();
  ne.body = std::string(body);
  ne.meta_json = MetaJson(*event, headers);
  std::string ticket_id = ne.ticket_id;

  // From here on nothing borrowed is used: the completion owns copies of what it needs.
  store_->AppendEventAsync(
      std::move(ne),
      [this, inst = std::move(inst), ticket_id = std::move(ticket_id), event = std::move(event).value(),
       started, done = std::move(done)](Result<AppendResult> stored) mutable {
        IngestReply reply;
        if (!stored.ok()) {
          log::Error("store refused webhook", {{"instance", std::string_view(inst)},
                                               {"error", std::string_view(stored.status().ToString())}});
          reply.status = 503;
          reply.body = ErrorJson("unavailable", "the store cannot accept deliveries right now; retry later");
        } else if (stored->duplicate) {
          Metrics::Global().Inc("deskhook_duplicates_total", Metrics::Labels({{"instance", inst}}));
          reply.event_id = stored->event_id;
          reply.status = 200;
          reply.body = "{\"status\":\"duplicate\",\"event_id\":" + std::to_string(stored->event_id) + "}";
        } else {
          reply.event_id = stored->event_id;
          reply.status = 200;
          reply.body = "{\"status\":\"stored\",\"event_id\":" + std::to_string(stored->event_id) + "}";
          // The event is committed whatever happens here: a failed hand-off only means the
          // pipeline reads it back from the store, so the delivery is still acknowledged.
          try {
            if (on_stored_) on_stored_(stored->event_id, inst, ticket_id, std::move(event));
          } catch (const std::exception& e) {
            log::Error("hand-off of a stored webhook failed", {{"instance", std::string_view(inst)},
                                                                 {"error", std::string_view(e.what())}});
          } catch (...) {
            log::Error("hand-off of a stored webhook failed", {{"instance", std::string_view(inst)}});
          }
        }
        CountReply(inst, reply.status, started);
        done(std::move(reply));  // last: a waiting Handle may return, and the Ingest go, from here
      });
}

}  // namespace deskhook
