// Builds Intercom API requests for one event's decisions (the outbound half of the connector).
//
// Intercom needs one request per effect: a tag needs its id first (POST /tags creates-or-finds
// it by name; its answer's "/id" is captured as {{tag_<n>}} / {{untag_<n>}} for the next call),
// assignment goes through /parts (team and admin separately), notes through /reply (all notes of
// an event in one note, with an effect marker), drafts through POST /articles (state "draft").
// Priority is writable only with Intercom-Version "Preview" (PUT /conversations/{id}); on other
// versions it is skipped with a reason.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/call_common.h"
#include "connectors/connector.h"

namespace deskhook {

// Fewest calls the Intercom API allows, in send order; empty when there is nothing to do.
std::vector<ApiCall> BuildIntercomCalls(const InstanceConfig& config, const Ticket& ticket,
                                    const DecisionSet& decisions, std::string_view event_key);

// Same calls, plus one line per decision that could not become a call (missing admin_id or
// author id, unknown priority, priority on a version without a writable priority).
CallPlan PlanIntercomCalls(const InstanceConfig& config, const Ticket& ticket,
                           const DecisionSet& decisions, std::string_view event_key);

// Read-only call that tells whether a non-idempotent call's effect already happened:
//   note    -> GET /conversations/{id} (the parts carry the marker)
//   article -> GET /articles/search?phrase=<marker hex>&state=draft
// nullopt for calls that are safe to resend.
std::optional<ApiCall> BuildIntercomEffectCheck(const InstanceConfig& config, const ApiCall& call);

// Authorization: Bearer <access_token>. (Intercom-Version is in each call's own headers.)
// Contains secrets: never log.
std::vector<std::pair<std::string, std::string>> IntercomAuthHeaders(const InstanceConfig& config);

}  // namespace deskhook
