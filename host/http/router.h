// Routes of deskhook's HTTP server: method + path pattern -> handler, registered fluently
// (router.Get("/healthz", ...).Post("/hooks/{}", ...)). A pattern is literal segments and "{}",
// which matches one non-empty segment and is passed to the handler in HttpRequest::captures.
//
// Two kinds of handler:
// - Sync (Get/Post/Put): returns the response. Runs on the server's worker pool, so it may
//   block (store reads, a readiness write), unless registered with kOnLoop.
// - Async (PostAsync): runs on the connection's event-loop thread and must not block; it
//   answers through the Responder, from any thread, when it is ready (a webhook after its
//   commit).
// A fallback (Fallback) takes every request no route matches, any method and path, instead of
// the 404 / 405 answers: for a server whose paths are not known in advance (a stand-in for
// another service, a proxy).
//
// Thread-safety: build the router before the server starts; afterwards it is read-only.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "host/http/http_message.h"

namespace deskhook::http {

using SyncHandler = std::function<HttpResponse(const HttpRequest&)>;
using AsyncHandler = std::function<void(HttpRequest&&, Responder)>;

// Where a sync handler runs: kWorker (may block) or kOnLoop (cheap and non-blocking, e.g.
// /healthz: saves the hand-off to a worker and back).
enum class RunOn { kWorker, kOnLoop };

class Router {
 public:
  Router& Get(std::string pattern, SyncHandler handler, RunOn run_on = RunOn::kWorker);
  Router& Post(std::string pattern, SyncHandler handler, RunOn run_on = RunOn::kWorker);
  Router& Put(std::string pattern, SyncHandler handler, RunOn run_on = RunOn::kWorker);
  Router& PostAsync(std::string pattern, AsyncHandler handler);
  // Runs for every request that no route matches (whatever its method, so a path known under
  // another method goes here too rather than to the 405). Like an async handler it runs on
  // the connection's event loop and must not block. A second call replaces the first.
  Router& Fallback(AsyncHandler handler);

  struct Route {
    std::string method;
    std::vector<std::string> segments;  // "{}" = any one segment
    SyncHandler sync;                   // exactly one of sync / async is set
    AsyncHandler async;
    RunOn run_on = RunOn::kWorker;
  };

  struct Match {
    const Route* route = nullptr;   // nullptr: no route for this method and path, no fallback
    bool path_known = false;        // some route has this path under another method (405)
    std::string allow;              // those methods, "GET, POST"
  };
  // Fills `captures` when a route matches (clears them for the fallback). The first
  // registered match wins; the fallback only when none does.
  Match Find(std::string_view method, std::string_view path, std::vector<std::string>* captures) const;

 private:
  Router& Add(std::string method, std::string pattern, SyncHandler sync, AsyncHandler async, RunOn run_on);

  std::vector<Route> routes_;
  std::optional<Route> fallback_;
};

}  // namespace deskhook::http
