// Test support for contract tests of outbound calls:
//  - PrismServer: starts Stoplight Prism (`prism mock`) on 127.0.0.1 with a free port for one
//    OpenAPI file, waits for "Prism is listening", kills it (by its process group id) in Stop().
//  - SpecDoc: an OpenAPI file read as JSON (through js-yaml from Prism's own node_modules) with
//    a strict request-body checker that closes Prism's blind spots: unknown properties are
//    errors (Prism allows them), and bodies Prism does not validate are still checked.
//  - SendCalls: delivers ApiCalls in order over cpp-httplib, applying captures like the outbox.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include "connectors/connector.h"
#include "connectors/model/api_call.h"
#include "connectors/model/decision.h"
#include "connectors/model/status.h"

namespace deskhook::testing {

// DESKHOOK_PRISM, else /work/main/.cache/prism/node_modules/.bin/prism (the source tree's
// .cache). "" when neither exists.
std::string PrismBinary();
// The message tests fail with when Prism is missing.
std::string PrismMissingMessage();

// Absolute path of a file under the shared folder (DESKHOOK_SHARED_DIR).
std::string SharedPath(std::string_view relative);

class PrismServer {
 public:
  PrismServer() = default;
  PrismServer(const PrismServer&) = delete;
  PrismServer& operator=(const PrismServer&) = delete;
  ~PrismServer() { Stop(); }

  // Starts `prism mock -h 127.0.0.1 -p <free port> <spec>`; waits up to `timeout_s` for readiness.
  Status Start(const std::string& spec_path, int timeout_s = 180);
  void Stop();
  int port() const { return port_; }
  const std::string& log_path() const { return log_path_; }
  std::string Log() const;  // the log so far (for failure messages)

 private:
  int pid_ = -1;
  int port_ = 0;
  std::string log_path_;
};

// One Prism per spec path for the whole test program, started on first use and stopped at exit.
// Returns nullptr and sets *error when it cannot start.
PrismServer* SharedPrism(const std::string& spec_path, std::string* error);

// Writes a copy of the Intercom spec with `translated_content` dropped from
// create_article_request (contract-testing.md blind spot 1) to a temp dir; returns its path.
Result<std::string> PatchedIntercomSpec(const std::string& spec_path);

class SpecDoc {
 public:
  static Result<SpecDoc> Load(const std::string& yaml_path);

  // The requestBody JSON schema of the operation matching method + concrete path (query
  // ignored, "{x}" template segments match any segment, most literal segments win); nullptr
  // when there is no such operation or it has no JSON body. `op_path` receives the template.
  const boost::json::value* RequestSchema(std::string_view method, std::string_view path,
                                          std::string* op_path = nullptr) const;
  bool HasOperation(std::string_view method, std::string_view path) const;

  // Violations of `body` against `schema`: types, enums, required, nullability, and unknown
  // properties anywhere (strict, unlike Prism). `allowed_extra` lists dotted property paths
  // that may appear although the spec lacks them ("ticket.additional_tags").
  std::vector<std::string> Check(const boost::json::value& schema, const boost::json::value& body,
                                 const std::set<std::string>& allowed_extra = {}) const;

  // Every property name the schema defines at the top level (following $ref/allOf/anyOf/oneOf).
  std::set<std::string> PropertyNames(const boost::json::value& schema) const;
  const boost::json::value* Resolve(const boost::json::value* schema) const;

 private:
  void Validate(const boost::json::value& schema, const boost::json::value& v,
                const std::string& where, bool strict, const std::set<std::string>& extra,
                std::vector<std::string>& errors) const;
  void CollectNames(const boost::json::value& schema, std::set<std::string>& names, int depth) const;
  boost::json::value doc_;
};

struct SentCall {
  std::string method;
  std::string path;  // after capture substitution
  std::string body;  // after capture substitution
  int status = 0;    // 0 = transport error
  std::string response;
};

// Sends `calls` in order to http://127.0.0.1:<port>, adding `extra_headers` (auth) to each
// call's own headers. A 2xx answer's JSON value at capture_pointer is stored under capture_as
// and replaces {{capture_as}} in later paths/bodies. Stops after the first non-2xx.
std::vector<SentCall> SendCalls(int port, const std::vector<ApiCall>& calls,
                                const std::vector<std::pair<std::string, std::string>>& extra_headers);

// Decision sets covering every decision kind alone and combined ("all"), named for traces.
std::vector<std::pair<std::string, DecisionSet>> EveryDecisionKind();
// The "all" entry of EveryDecisionKind(): one of every decision at once.
DecisionSet AllDecisions();
// A ticket of `platform` with `id` (and `instance`, when given).
Ticket TestTicket(const std::string& platform, std::string id, const std::string& instance = "");
// Instance configs with every outbound field set (ids numeric, as the platforms issue them).
InstanceConfig ZendeskTestConfig();
InstanceConfig IntercomTestConfig(const std::string& api_version);

// One raw request (for deliberately broken calls).
SentCall SendRaw(int port, const std::string& method, const std::string& path, const std::string& body,
                 const std::vector<std::pair<std::string, std::string>>& headers);

}  // namespace deskhook::testing
