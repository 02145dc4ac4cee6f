// Processes one stored event into a ProcessedEvent (decision log + outbox calls + state).
// Pure with respect to the outside world: it reads the store (sentiment history, kv) but only
// the caller commits what it returns. One EventProcessor per worker thread (it owns the worker's
// script runtime); not thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "connectors/connector.h"
#include "host/store.h"
#include "scripts/runtime.h"
#include "sentiment/sentiment.h"

namespace deskhook {

// Optional collaborators, set by the host when the modules are configured.
struct ProcessorHooks {
  // FAQ index: called with the first customer question of a new ticket; fills t.similar.
  // Drafts it triggers are created through the outbox by the FAQ module, not with this event.
  std::function<scripts::SimilarInfo(const Ticket& ticket, const std::string& question,
                                     int64_t now_ms)> on_question;
  // An agent replied on a ticket (FAQ answers).
  std::function<void(const Ticket& ticket, const std::string& answer)> on_agent_reply;
  // Script draft_faq{} decisions, recorded through the FAQ module (approval hold, one creation
  // path). Without this hook they are created with the event's calls.
  std::function<void(const Ticket& ticket, const std::vector<FaqDraft>& drafts)> on_script_drafts;
  // Called after an event's outbox calls were committed.
  std::function<void()> on_calls_committed;
};

class BufferedStoreKv;  // event_processor.cc

class EventProcessor {
 public:
  // REQUIRES: store, scorer outlive this. store may be nullptr (then ctx.kv is memory-only).
  static Result<std::unique_ptr<EventProcessor>> Create(const scripts::RuntimeConfig& scripts,
                                                        Store* store, const sentiment::Scorer* scorer,
                                                        const ProcessorHooks* hooks);
  ~EventProcessor();

  // Normalises, scores, runs scripts, builds calls. Never throws; a bad stored body gives a
  // kFailed event with the reason in the log.
  // `normalised`, when not null, is `event`'s delivery as the connector parsed it at ingest (with
  // the request headers); it is used (and may be modified) instead of parsing event.body again.
  // Without it the stored body is parsed and the delivery id is the one recorded at ingest
  // (meta_json), so both ways give the same decision log.
  // `history`, when not null, is the committed sentiment history of (event.instance,
  // event.ticket_id), read by the caller (Store::SentimentHistories for a batch); used when the
  // delivery's ticket id is event.ticket_id, otherwise the processor reads it.
  ProcessedEvent Process(const StoredEvent& event, const Connector* connector, int64_t now_ms,
                         InboundEvent* normalised = nullptr, const std::vector<double>* history = nullptr);

  // Compiles `config` into a new runtime; on error the running one stays.
  Status ReplaceScripts(const scripts::RuntimeConfig& config);

  // Call after the events returned by Process() were committed (or their commit failed): the
  // scripts' ctx.kv writes travel in ProcessedEvent::kv, and reads stop seeing them as pending.
  void AfterCommit();

 private:
  EventProcessor() = default;
  Store* store_ = nullptr;
  const sentiment::Scorer* scorer_ = nullptr;
  const ProcessorHooks* hooks_ = nullptr;
  std::unique_ptr<scripts::KvStore> kv_;
  BufferedStoreKv* store_kv_ = nullptr;  // kv_ when backed by the store
  std::unique_ptr<scripts::Runtime> runtime_;
};

}  // namespace deskhook
