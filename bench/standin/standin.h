// A small stand-in helpdesk: answers the Zendesk and Intercom calls deskhook makes the way the
// platforms would (enough state to be consistent: tags, notes, articles per ticket), records
// every call it receives, and injects faults on demand (5xx, 429 with Retry-After or
// X-RateLimit-Reset, slow answers, connection resets). Used by the outbox fault tests, the
// end-to-end demo and the bench. Listens on loopback only.
//
// Serves on deskhook's own HTTP server (host/http): one event loop answers the helpdesk calls,
// a delayed answer comes from a timer thread, so a slow call holds no thread and a keep-alive
// connection costs no thread either.
//
// Thread-safety: every method may be called from any thread, also while calls are served.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace deskhook::standin {

struct Fault {
  double fail_rate = 0;       // probability that a call gets the fault
  int fail_next = 0;          // the next N calls get the fault (whatever fail_rate says)
  int status = 500;           // answer status for a fault (0 with reset/delay only)
  int retry_after_s = -1;     // with 429: Retry-After header (>= 0)
  int64_t rate_reset_in_s = -1;  // with 429: X-RateLimit-Reset = now + this (Intercom style)
  int delay_ms = 0;           // answer this late (past the client's timeout = a timeout)
  bool reset = false;         // reset the connection instead of answering (no byte of an answer)
  // The effect of a faulted call is applied before the fault (an ambiguous failure: the
  // helpdesk did it, the client never heard). Default: applied for delay/reset, not for status.
  int apply_effect = -1;      // -1 default, 0 no, 1 yes
  std::string answer_body;    // body of a status fault ("" = a short JSON error)
  std::string path_contains;  // only calls whose path contains this (empty = all)
  bool skip_checks = true;    // GET calls (effect checks) never fault
};

struct Call {
  int64_t seq = 0;
  int64_t t_ms = 0;           // wall clock ms when received
  std::string method, path, body;
  std::string key;            // X-Deskhook-Key header
  bool has_auth = false;      // an Authorization header was present (its value is never kept)
  int status = 0;             // what was answered (0 = reset)
  std::string fault;          // "", "status", "delay", "reset"
};

class Standin {
 public:
  Standin();
  ~Standin();  // Stop()

  // Binds 127.0.0.1:`port` (0 = any free port) and serves on its own threads. Returns the port,
  // or -1 when binding failed (or already serving). `record_path`: also append each call as a
  // JSON line there. `threads`: the server's worker threads, which run the /_standin/ admin
  // endpoints (the helpdesk calls are answered on the event loop, whatever this says).
  int Start(int port = 0, const std::string& record_path = "", int threads = 16);
  // Stops serving; a delayed answer in flight is still sent (within 10 s). Idempotent; Start
  // may be called again after it.
  void Stop();

  void SetFault(const Fault& fault);
  void ClearFault() { SetFault(Fault{}); }
  void Reset();  // forget calls and state (fault unchanged)

  std::vector<Call> Calls() const;
  // The calls received after the first `from` (for polling without copying all of them again).
  std::vector<Call> CallsSince(size_t from) const;
  size_t CallCount() const;
  // How many times a note/comment/article containing `marker` was stored (effects, not calls).
  int EffectCount(const std::string& marker) const;
  std::vector<std::string> Tags(const std::string& ticket) const;  // sorted
  std::string StateJson() const;

  static std::string CallJson(const Call& call);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace deskhook::standin
