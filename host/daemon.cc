#include "host/daemon.h"

#include <pthread.h>

#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <mutex>
#include <chrono>
#include <map>
#include <thread>

#include "host/admin_api.h"
#include "host/faq_glue.h"
#include "host/outbox.h"
#include "host/override.h"
#include "host/http_server.h"
#include "host/ingest.h"
#include "host/log.h"
#include "host/metrics.h"
#include "host/pipeline.h"
#include "host/store.h"
#include "host/wall_clock.h"
#include "sentiment/sentiment.h"

namespace deskhook {

class Daemon::Impl {
 public:
  Config config;
  std::unique_ptr<Store> store;
  std::vector<std::unique_ptr<Connector>> connectors;
  std::map<std::string, const Connector*> by_name;
  std::unique_ptr<sentiment::Scorer> scorer;
  std::unique_ptr<OutboxDelivery> outbox;
  std::unique_ptr<FaqGlue> faq;
  std::unique_ptr<Pipeline> pipeline;
  std::thread maintenance;
  std::mutex maintenance_mu;
  std::condition_variable maintenance_cv;
  bool maintenance_stop = false;
  std::unique_ptr<Ingest> ingest;
  std::unique_ptr<AdminApi> admin;
  std::unique_ptr<HttpServer> http;
  std::thread http_thread;
  bool stopped = false;
};

namespace {

void RegisterSecrets(const Config& c) {
  log::RegisterSecret(c.admin_token);
  for (const auto& i : c.connectors) {
    for (const std::string* s : {&i.signing_secret, &i.api_token, &i.oauth_token, &i.access_token}) {
      log::RegisterSecret(*s);
    }
  }
}

}  // namespace

Daemon::Daemon(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Daemon::~Daemon() { Shutdown(); }

void Daemon::BlockSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

Result<std::unique_ptr<Daemon>> Daemon::Create(Config config) {
  auto impl = std::make_unique<Impl>();
  log::SetLevel(config.log_level);
  RegisterSecrets(config);

  for (const auto& inst : config.connectors) {
    auto c = MakeConnector(inst);
    if (!c.ok()) return c.status();
    impl->by_name[inst.name] = c->get();
    impl->connectors.push_back(std::move(c.value()));
  }
  sentiment::Options sopts;
  sopts.extra_lexicon_path = config.extra_lexicon;
  std::string error;
  impl->scorer = sentiment::Scorer::Create(sopts, &error);
  if (!impl->scorer) return Status::InvalidArgument("sentiment.extra_lexicon: " + error);

  StoreOptions so;
  so.path = config.store_path;
  so.dedupe_window_s = config.dedupe_window_s;
  so.retention_days = config.retention_days;
  so.synchronous_full = config.store_sync == "full";
  so.checkpoint_pages = static_cast<int>(config.store_checkpoint_pages);
  auto store = Store::Open(so);
  if (!store.ok()) return store.status();
  impl->store = std::move(store.value());

  // Outbox delivery: one lane per instance.
  auto outbox_options = ParseOutboxOptions(config.outbox);
  if (!outbox_options.ok()) return outbox_options.status();
  impl->outbox = std::make_unique<OutboxDelivery>(impl->store.get(), impl->by_name, *outbox_options);
  OutboxDelivery* outbox = impl->outbox.get();

  ProcessorHooks hooks;
  hooks.on_calls_committed = [outbox] { outbox->Wake(); };
  if (FaqEnabled(config.faq)) {
    std::string base = config.path.empty() ? "" : std::filesystem::absolute(config.path).parent_path().string();
    auto fc = ParseFaqConfig(config.faq, base);
    if (!fc.ok()) return fc.status();
    auto glue = FaqGlue::Create(*fc, impl->store.get(), impl->by_name, [outbox] { outbox->Wake(); });
    if (!glue.ok()) return glue.status();
    impl->faq = std::move(glue.value());
    FaqGlue* faq = impl->faq.get();
    hooks.on_question = [faq](const Ticket& t, const std::string& q, int64_t now_ms) {
      return faq->OnQuestion(t, q, now_ms);
    };
    hooks.on_agent_reply = [faq](const Ticket& t, const std::string& answer) { faq->OnAgentReply(t, answer, WallMs()); };
    hooks.on_script_drafts = [faq](const Ticket& t, const std::vector<FaqDraft>& drafts) {
      faq->OnScriptDrafts(t, drafts, WallMs());
    };
  }

  PipelineOptions po;
  po.workers = config.workers;
  po.scripts = config.scripts;
  impl->pipeline = std::make_unique<Pipeline>(po, impl->store.get(), impl->by_name, impl->scorer.get(), hooks);

  Pipeline* pipeline = impl->pipeline.get();
  impl->ingest = std::make_unique<Ingest>(impl->store.get(), impl->by_name, config.http.body_limit_bytes,
                                          [pipeline](int64_t id, const std::string& instance, const std::string&,
                                                     InboundEvent&& event) {
                                            pipeline->Offer(id, instance, std::move(event));
                                          });
  AdminHandlers handlers;
  handlers.outbox_retry = [outbox](int64_t id) { return outbox->Retry(id); };
  handlers.outbox_drop = [outbox](int64_t id) { return outbox->Drop(id); };
  if (impl->faq) {
    FaqGlue* faq = impl->faq.get();
    handlers.faq_list = [faq](const std::string& state) { return faq->ListJson(state); };
    handlers.faq_act = [faq](int64_t id, const std::string& action, const std::string& body) {
      return faq->Act(id, action, body, WallMs());
    };
  }
  Store* store_ptr = impl->store.get();
  auto by_name = impl->by_name;
  handlers.override_ticket = [store_ptr, by_name, outbox](const std::string& body) -> Result<int64_t> {
    auto id = RecordOverride(store_ptr, by_name, body, WallMs());
    if (id.ok()) outbox->Wake();
    return id;
  };
  handlers.pipeline_state = [pipeline, store_ptr] {
    auto pending = store_ptr->CountPending();
    return PauseStateJson(pipeline->pause_state(), pending.ok() ? *pending : -1);
  };
  handlers.pipeline_pause = [pipeline](const std::string& reason) { return pipeline->Pause(reason); };
  handlers.pipeline_resume = [pipeline] { return pipeline->Resume(); };
  impl->admin = std::make_unique<AdminApi>(impl->store.get(), config.admin_token, handlers);
  Store* st = impl->store.get();
  impl->http = std::make_unique<HttpServer>(config.http, impl->ingest.get(), impl->admin.get(),
                                            [st] { return st->CheckWritable(); });
  Metrics::Global().SetGaugeFn("deskhook_queue_depth", [st] {
    auto n = st->CountPending();
    return n.ok() ? static_cast<double>(*n) : -1.0;
  });
  Metrics::Global().SetGaugeFn("deskhook_pipeline_paused", [pipeline] { return pipeline->pause_state().paused ? 1.0 : 0.0; });
  // Group commit at work: operations per transaction = ops / commits.
  Metrics::Global().SetGaugeFn("deskhook_store_commits_total", [st] { return static_cast<double>(st->Stats().commits); });
  Metrics::Global().SetGaugeFn("deskhook_store_ops_total", [st] { return static_cast<double>(st->Stats().ops); });
  Metrics::Global().SetGaugeFn("deskhook_store_failed_batches_total", [st] { return static_cast<double>(st->Stats().failed_batches); });
  Metrics::Global().SetGaugeFn("deskhook_store_replayed_batches_total", [st] { return static_cast<double>(st->Stats().replayed_batches); });
  Metrics::Global().SetGaugeFn("deskhook_store_checkpoints_total", [st] { return static_cast<double>(st->Stats().checkpoints); });
  Metrics::Global().SetGaugeFn("deskhook_store_wal_restarts_total", [st] { return static_cast<double>(st->Stats().wal_restarts); });
  // The HTTP front's connections: open now, refused over http.max_connections, closed by a timeout.
  HttpServer* http = impl->http.get();
  Metrics::Global().SetGaugeFn("deskhook_http_connections_open", [http] { return static_cast<double>(http->Stats().connections_open); });
  Metrics::Global().SetGaugeFn("deskhook_http_connections_accepted_total", [http] { return static_cast<double>(http->Stats().connections_accepted); });
  Metrics::Global().SetGaugeFn("deskhook_http_connections_refused_total", [http] { return static_cast<double>(http->Stats().connections_refused); });
  Metrics::Global().SetGaugeFn("deskhook_http_timeouts_total", [http] { return static_cast<double>(http->Stats().timeouts); });
  impl->config = std::move(config);
  return std::unique_ptr<Daemon>(new Daemon(std::move(impl)));
}

Status Daemon::Start() {
  if (Status s = impl_->outbox->Start(); !s.ok()) return s;
  if (Status s = impl_->pipeline->Start(); !s.ok()) return s;
  // Housekeeping: FAQ draft expiry and creation of approved drafts, once a minute.
  impl_->maintenance = std::thread([impl = impl_.get()] {
    pthread_setname_np(pthread_self(), "maintenance");
    std::unique_lock<std::mutex> lock(impl->maintenance_mu);
    while (!impl->maintenance_stop) {
      impl->maintenance_cv.wait_for(lock, std::chrono::seconds(60));
      if (impl->maintenance_stop) break;
      if (impl->faq) impl->faq->Maintain(WallMs());
    }
  });
  if (Status s = impl_->http->Bind(); !s.ok()) return s;
  impl_->http_thread = std::thread([this] { impl_->http->Serve(); });
  log::Info("deskhook serving", {{"address", std::string_view(impl_->config.http.address)},
                                 {"port", int64_t{impl_->http->port()}},
                                 {"listen_backlog", int64_t{impl_->http->listen_backlog()}},
                                 {"store", std::string_view(impl_->config.store_path)},
                                 {"connectors", int64_t(impl_->connectors.size())},
                                 {"workers", int64_t{impl_->config.workers}}});
  return Status::Ok();
}

int Daemon::port() const { return impl_->http->port(); }

Status Daemon::Reload() {
  auto fresh = LoadConfig(impl_->config.path);
  if (!fresh.ok()) return fresh.status();
  log::SetLevel(fresh->log_level);
  RegisterSecrets(*fresh);
  Status s = impl_->pipeline->Reload(fresh->scripts);
  if (s.ok()) log::Info("config reloaded: scripts and log level");
  return s;
}

void Daemon::RunUntilSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGHUP) {
      if (Status s = Reload(); !s.ok()) {
        log::Error("reload refused; running configuration stays", {{"error", std::string_view(s.message())}});
      }
      continue;
    }
    log::Info("signal received: draining", {{"signal", int64_t{sig}}});
    break;
  }
  Shutdown();
}

void Daemon::Shutdown() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->http->SetDraining();
  impl_->http->Stop();
  if (impl_->http_thread.joinable()) impl_->http_thread.join();
  // Finish everything that was acknowledged before stopping the workers.
  impl_->pipeline->Drain(std::chrono::seconds(30));
  impl_->pipeline->Stop();
  {
    std::lock_guard<std::mutex> lock(impl_->maintenance_mu);
    impl_->maintenance_stop = true;
  }
  impl_->maintenance_cv.notify_all();
  if (impl_->maintenance.joinable()) impl_->maintenance.join();
  impl_->outbox->Stop();
  impl_->store.reset();
  log::Info("deskhook stopped");
}

}  // namespace deskhook
