// Connects the FAQ service (host/faq) to the rest of the host: the pipeline's question and
// answer hooks (t.similar), scripts' draft_faq{}, the admin API's draft review, and the outbox
// (an approved draft becomes an internal event whose call creates the draft article).
// Thread-safe (FaqService has its own lock).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include <boost/json/object.hpp>

#include "connectors/connector.h"
#include "host/faq/faq_service.h"
#include "host/store.h"
#include "scripts/runtime.h"

namespace deskhook {

// The config's "faq" object: {"enabled":true, "window_days":30, "threshold":0.65,
// "draft_min_group":10, "hold_for_approval":true, "pending_expiry_hours":168, "synonyms":PATH}.
// InvalidArgument names the field.
Result<faq::FaqConfig> ParseFaqConfig(const boost::json::object& json, const std::string& base_dir);
bool FaqEnabled(const boost::json::object& json);

class FaqGlue {
 public:
  // REQUIRES: store and connectors outlive this. `wake_outbox` is called after draft calls are
  // committed.
  static Result<std::unique_ptr<FaqGlue>> Create(const faq::FaqConfig& config, Store* store,
                                                 std::map<std::string, const Connector*> connectors,
                                                 std::function<void()> wake_outbox);

  scripts::SimilarInfo OnQuestion(const Ticket& ticket, const std::string& question, int64_t now_ms);
  void OnAgentReply(const Ticket& ticket, const std::string& answer, int64_t now_ms);
  // Records script drafts through the one drafting path; they are created once approved.
  void OnScriptDrafts(const Ticket& ticket, const std::vector<FaqDraft>& drafts, int64_t now_ms);

  // Admin API.
  std::string ListJson(const std::string& state);
  Status Act(int64_t id, const std::string& action, const std::string& body_json, int64_t now_ms);

  // Expires old pending drafts and creates approved ones. Called after changes and periodically.
  void Maintain(int64_t now_ms);

 private:
  FaqGlue() = default;
  void CreateApproved(int64_t now_ms);

  std::unique_ptr<faq::FaqService> service_;
  Store* store_ = nullptr;
  std::map<std::string, const Connector*> connectors_;
  std::function<void()> wake_outbox_;
};

}  // namespace deskhook
