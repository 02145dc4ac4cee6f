// A person overrides what deskhook (or anyone) decided for a ticket: POST /api/override with
// {"instance","ticket","add_tags":[],"remove_tags":[],"group","agent","priority","note","by"}.
// The change is carried out through the outbox like any decision and logged as its own event
// (stage "override"), so the ticket's history shows who changed what and when.
#pragma once

#include <map>
#include <string>

#include "connectors/connector.h"
#include "host/store.h"

namespace deskhook {

// Returns the id of the internal event holding the override's calls. InvalidArgument for a bad
// body or an unknown instance.
Result<int64_t> RecordOverride(Store* store, const std::map<std::string, const Connector*>& connectors,
                               const std::string& body_json, int64_t now_ms);

}  // namespace deskhook
