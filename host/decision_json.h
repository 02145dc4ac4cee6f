// JSON text of the decision log's parts (ticket summary, decisions, sentiment, calls), written
// straight to text with scripts::jsonw, byte for byte what boost::json::serialize prints for the
// same values: building boost::json values per record and serialising them, and parsing the
// scripts' own JSON back in, cost more than running the scripts. Pure functions; any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "connectors/connector.h"
#include "sentiment/sentiment.h"

namespace deskhook {

// Appenders: each appends one JSON value to *o.
void AppendTicketSummary(std::string* o, const Ticket& t);
void AppendDecisionSet(std::string* o, const DecisionSet& d);
void AppendMessageScore(std::string* o, const sentiment::MessageScore& s);
void AppendTrend(std::string* o, const sentiment::ConversationTrend& t);
void AppendApiCall(std::string* o, const ApiCall& c);
// JSON text a script record carries from the runtime (an object or an array it wrote with
// jsonw), spliced in as is; `empty` when there is none. Anything that does not even look like
// one (first/last byte `open`/`close`) is kept as a string.
void AppendScriptJson(std::string* o, const std::string& text, std::string_view empty, char open, char close);

// {"error": error}
std::string ErrorRecord(std::string_view error);

// Whole values, for the decision log, overrides and dry-run.
std::string TicketSummaryJson(const Ticket& t);
std::string DecisionSetJson(const DecisionSet& d);
std::string MessageScoreJson(const sentiment::MessageScore& s);
std::string TrendJson(const sentiment::ConversationTrend& t);
std::string ApiCallJson(const ApiCall& c);

}  // namespace deskhook
