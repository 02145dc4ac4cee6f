#include "bench/standin/standin.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <optional>
#include <random>
#include <regex>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include "host/http/server.h"

namespace deskhook::standin {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct TicketState {
  std::set<std::string> tags;
  json::array notes;  // Zendesk comments / Intercom note parts
  json::value priority, group_id, assignee_id;
};

struct Answer {
  int status = 200;
  std::string body;
};

// An answer with a status and no body (the admin endpoints' refusals).
http::HttpResponse Bare(int status) {
  http::HttpResponse r;
  r.status = status;
  r.content_type.clear();
  return r;
}

std::string Str(const json::value* v) {
  if (v == nullptr) return "";
  if (v->is_string()) return std::string(v->as_string());
  return json::serialize(*v);
}

}  // namespace

struct Standin::Impl {
  std::mutex life_mu;  // serialises Start and Stop
  std::unique_ptr<http::Server> server;  // set while serving; guarded by life_mu
  std::thread serve_thread;              // runs server->Serve()
  std::unique_ptr<asio::io_context> timers;  // delayed answers; one thread, set with server
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> timers_guard;
  std::thread timer_thread;
  int port = -1;

  mutable std::mutex mu;
  Fault fault;
  std::mt19937_64 rng{12345};
  std::vector<Call> calls;
  std::ofstream record;
  std::map<std::string, TicketState> tickets;
  std::map<std::string, std::string> tag_ids;  // Intercom tag name -> id
  std::map<std::string, std::string> tag_names;
  json::array articles;
  int64_t next_id = 1000;

  TicketState& T(const std::string& id) { return tickets[id]; }

  json::object ZendeskTicket(const std::string& id) {
    TicketState& t = T(id);
    json::array tags;
    for (const auto& s : t.tags) tags.emplace_back(s);
    return {{"id", std::stoll(id)}, {"tags", tags}, {"priority", t.priority},
            {"group_id", t.group_id}, {"assignee_id", t.assignee_id}, {"status", "open"}};
  }

  json::object Conversation(const std::string& id) {
    TicketState& t = T(id);
    json::array tags;
    for (const auto& s : t.tags) {
      tags.push_back(json::object{{"type", "tag"}, {"id", s}, {"name", tag_names[s]}});
    }
    return {{"type", "conversation"},
            {"id", id},
            {"priority", t.priority.is_null() ? json::value("not_priority") : t.priority},
            {"admin_assignee_id", t.assignee_id},
            {"team_assignee_id", t.group_id},
            {"tags", json::object{{"type", "tag.list"}, {"tags", tags}}},
            {"conversation_parts",
             json::object{{"type", "conversation_part.list"},
                          {"conversation_parts", t.notes},
                          {"total_count", t.notes.size()}}}};
  }

  // Applies one call to the state and builds the platform's answer. REQUIRES: mu held.
  Answer Apply(const std::string& method, const std::string& path, const std::string& body) {
    static const std::regex zd_ticket(R"(^/api/v2/tickets/(\d+)(\.json)?$)");
    static const std::regex zd_tags(R"(^/api/v2/tickets/(\d+)/tags(\.json)?$)");
    static const std::regex zd_comments(R"(^/api/v2/tickets/(\d+)/comments(\.json)?$)");
    static const std::regex zd_articles(R"(^/api/v2/help_center/.*articles(\.json)?$)");
    static const std::regex ic_tags(R"(^/tags$)");
    static const std::regex ic_conv_tags(R"(^/(conversations|tickets)/([^/]+)/tags$)");
    static const std::regex ic_conv_untag(R"(^/(conversations|tickets)/([^/]+)/tags/([^/]+)$)");
    static const std::regex ic_parts(R"(^/conversations/([^/]+)/parts$)");
    static const std::regex ic_reply(R"(^/(conversations|tickets)/([^/]+)/reply$)");
    static const std::regex ic_conv(R"(^/(conversations|tickets)/([^/]+)$)");
    static const std::regex ic_articles(R"(^/articles(/search)?$)");
    std::smatch m;
    json::object in;
    if (!body.empty()) {
      boost::system::error_code ec;
      json::value v = json::parse(body, ec);
      if (ec || !v.is_object()) return {400, R"({"error":"InvalidJSON","description":"body is not a JSON object"})"};
      in = v.as_object();
    }
    // Zendesk.
    if (std::regex_match(path, m, zd_ticket)) {
      std::string id = m[1];
      if (method == "GET") return {200, json::serialize(json::object{{"ticket", ZendeskTicket(id)}})};
      if (method != "PUT") return {405, R"({"error":"method not allowed"})"};
      const json::value* tv = in.if_contains("ticket");
      if (tv == nullptr || !tv->is_object()) return {400, R"({"error":"RecordInvalid","description":"ticket missing"})"};
      const json::object& t = tv->as_object();
      TicketState& s = T(id);
      if (auto* v = t.if_contains("tags"); v && v->is_array()) {
        s.tags.clear();
        for (auto& x : v->as_array()) s.tags.insert(Str(&x));
      }
      if (auto* v = t.if_contains("additional_tags"); v && v->is_array())
        for (auto& x : v->as_array()) s.tags.insert(Str(&x));
      if (auto* v = t.if_contains("remove_tags"); v && v->is_array())
        for (auto& x : v->as_array()) s.tags.erase(Str(&x));
      if (auto* v = t.if_contains("priority")) s.priority = *v;
      if (auto* v = t.if_contains("group_id")) s.group_id = *v;
      if (auto* v = t.if_contains("assignee_id")) s.assignee_id = *v;
      if (auto* v = t.if_contains("comment"); v && v->is_object()) {
        json::object c = v->as_object();
        c["id"] = next_id++;
        if (!c.contains("public")) c["public"] = true;
        s.notes.push_back(c);
      }
      return {200, json::serialize(json::object{{"ticket", ZendeskTicket(id)}})};
    }
    if (std::regex_match(path, m, zd_tags)) {
      TicketState& s = T(m[1]);
      std::vector<std::string> list;
      if (auto* v = in.if_contains("tags"); v && v->is_array())
        for (auto& x : v->as_array()) list.push_back(Str(&x));
      if (method == "POST") s.tags.clear();
      for (auto& x : list) {
        if (method == "DELETE") s.tags.erase(x); else if (method != "GET") s.tags.insert(x);
      }
      json::array tags;
      for (const auto& x : s.tags) tags.emplace_back(x);
      return {200, json::serialize(json::object{{"tags", tags}})};
    }
    if (std::regex_match(path, m, zd_comments) && method == "GET") {
      json::array cs = T(m[1]).notes;
      std::reverse(cs.begin(), cs.end());  // newest first (sort_order=desc)
      return {200, json::serialize(json::object{{"comments", cs}, {"count", cs.size()}})};
    }
    if (std::regex_match(path, m, zd_articles)) {
      if (method == "GET") return {200, json::serialize(json::object{{"articles", articles}})};
      const json::value* a = in.if_contains("article");
      if (a == nullptr || !a->is_object()) return {400, R"({"error":"article missing"})"};
      json::object art = a->as_object();
      art["id"] = next_id++;
      articles.push_back(art);
      return {201, json::serialize(json::object{{"article", art}})};
    }
    // Intercom.
    if (std::regex_match(path, m, ic_tags) && method == "POST") {
      std::string name = Str(in.if_contains("name"));
      if (name.empty()) return {400, R"({"type":"error.list","errors":[{"code":"parameter_not_found","message":"name is required"}]})"};
      auto it = tag_ids.find(name);
      if (it == tag_ids.end()) {
        std::string id = std::to_string(next_id++);
        it = tag_ids.emplace(name, id).first;
        tag_names[id] = name;
      }
      return {200, json::serialize(json::object{{"type", "tag"}, {"id", it->second}, {"name", name}})};
    }
    if (std::regex_match(path, m, ic_conv_tags) && method == "POST") {
      std::string tag = Str(in.if_contains("id"));
      if (!tag_names.count(tag)) return {404, R"({"type":"error.list","errors":[{"code":"tag_not_found","message":"Tag not found"}]})"};
      T(m[2]).tags.insert(tag);
      return {200, json::serialize(json::object{{"type", "tag"}, {"id", tag}, {"name", tag_names[tag]}})};
    }
    if (std::regex_match(path, m, ic_conv_untag) && method == "DELETE") {
      std::string tag = m[3];
      T(m[2]).tags.erase(tag);
      return {200, json::serialize(json::object{{"type", "tag"}, {"id", tag}, {"name", tag_names[tag]}})};
    }
    if (std::regex_match(path, m, ic_parts) && method == "POST") {
      TicketState& s = T(m[1]);
      std::string type = Str(in.if_contains("message_type"));
      if (type == "assignment") {
        if (Str(in.if_contains("type")) == "team") s.group_id = in["assignee_id"];
        else s.assignee_id = in["assignee_id"];
      }
      return {200, json::serialize(Conversation(m[1]))};
    }
    if (std::regex_match(path, m, ic_reply) && method == "POST") {
      TicketState& s = T(m[2]);
      s.notes.push_back(json::object{{"type", "conversation_part"}, {"id", std::to_string(next_id++)},
                                     {"part_type", Str(in.if_contains("message_type"))},
                                     {"body", Str(in.if_contains("body"))}});
      return {200, json::serialize(Conversation(m[2]))};
    }
    if (std::regex_match(path, m, ic_conv)) {
      if (method == "PUT") {
        if (auto* v = in.if_contains("priority")) T(m[2]).priority = *v;
      } else if (method != "GET") {
        return {405, R"({"error":"method not allowed"})"};
      }
      return {200, json::serialize(Conversation(m[2]))};
    }
    if (std::regex_match(path, m, ic_articles)) {
      if (method == "GET") {
        return {200, json::serialize(json::object{
                         {"type", "list"}, {"total_count", articles.size()},
                         {"data", json::object{{"articles", articles}}}})};
      }
      json::object art = in;
      art["id"] = std::to_string(next_id++);
      art["type"] = "article";
      articles.push_back(art);
      return {200, json::serialize(art)};
    }
    return {404, R"({"error":"InvalidEndpoint","description":"Not found"})"};
  }

  // A call to the helpdesk API: recorded, applied (unless faulted before its effect), answered.
  // On the server's event loop; answers at once or from the timer thread when delayed.
  void Handle(http::HttpRequest&& req, http::Responder responder) {
    Call call;
    call.t_ms = WallMs();
    call.method = std::move(req.method);
    call.path = http::PercentDecode(req.path, false);  // as cpp-httplib's server passed it
    call.body = std::move(req.body);
    call.key = std::string(req.headers.Get("X-Deskhook-Key"));
    call.has_auth = req.headers.Has("Authorization");
    Fault f;
    bool faulted = false;
    Answer answer;
    {
      std::lock_guard<std::mutex> lock(mu);
      f = fault;
      bool eligible = (f.path_contains.empty() || call.path.find(f.path_contains) != std::string::npos) &&
                      !(f.skip_checks && call.method == "GET");
      if (eligible && fault.fail_next > 0) {
        --fault.fail_next;
        faulted = true;
      } else if (eligible && f.fail_rate > 0) {
        faulted = std::uniform_real_distribution<double>(0, 1)(rng) < f.fail_rate;
      }
      bool apply = !faulted || (f.apply_effect == 1) ||
                   (f.apply_effect == -1 && (f.reset || (f.delay_ms > 0 && f.status == 0)));
      if (apply) answer = Apply(call.method, call.path, call.body);
      if (faulted) {
        call.fault = f.reset ? "reset" : f.delay_ms > 0 ? "delay" : "status";
        if (f.reset) call.status = 0;
        else if (f.status > 0) call.status = f.status;
        else call.status = answer.status;
      } else {
        call.status = answer.status;
      }
      call.seq = static_cast<int64_t>(calls.size()) + 1;
      if (record.is_open()) {
        record << CallJson(call) << '\n';
        record.flush();
      }
      calls.push_back(std::move(call));
    }
    http::HttpResponse res;
    if (faulted && f.reset) {
      res = http::HttpResponse::Abort();  // a RST and no answer: the client cannot tell it was applied
    } else if (faulted && f.status > 0) {
      res.status = f.status;
      if (f.retry_after_s >= 0) res.headers.emplace_back("Retry-After", std::to_string(f.retry_after_s));
      if (f.rate_reset_in_s >= 0) {
        res.headers.emplace_back("X-RateLimit-Limit", "167");
        res.headers.emplace_back("X-RateLimit-Remaining", "0");
        res.headers.emplace_back("X-RateLimit-Reset", std::to_string(WallMs() / 1000 + f.rate_reset_in_s));
      }
      res.body = !f.answer_body.empty() ? f.answer_body
                 : f.status == 429      ? R"({"error":"rate_limit_exceeded"})"
                                        : R"({"error":"injected fault","status":)" + std::to_string(f.status) + "}";
    } else {
      res = http::HttpResponse::Json(answer.status, std::move(answer.body));
    }
    if (!faulted || f.delay_ms <= 0) return responder.Send(std::move(res));
    // Late, without holding the loop: a timer answers (or resets) after the delay.
    auto timer = std::make_shared<asio::steady_timer>(*timers, std::chrono::milliseconds(f.delay_ms));
    timer->async_wait([timer, responder, res = std::move(res)](const boost::system::error_code& ec) mutable {
      if (!ec) responder.Send(std::move(res));
    });
  }

  std::string StateJsonLocked() const {
    json::object out;
    for (const auto& [id, t] : tickets) {
      json::array tags;
      for (const auto& s : t.tags) tags.emplace_back(s);
      out[id] = json::object{{"tags", tags}, {"notes", t.notes}, {"priority", t.priority},
                             {"group_id", t.group_id}, {"assignee_id", t.assignee_id}};
    }
    return json::serialize(json::object{{"tickets", out}, {"articles", articles}});
  }

  // The /_standin/ endpoints (admin/introspection: never recorded, never faulted). On a worker
  // thread: /_standin/calls copies every call under the lock.
  http::Router AdminRoutes() {
    auto text = [](std::string body, std::string type) {
      http::HttpResponse r;
      r.body = std::move(body);
      r.content_type = std::move(type);
      return r;
    };
    http::Router r;
    r.Get("/_standin/state", [this, text](const http::HttpRequest&) {
      std::lock_guard<std::mutex> lock(mu);
      return text(StateJsonLocked(), "application/json");
    });
    r.Get("/_standin/calls", [this, text](const http::HttpRequest&) {
      std::string out;
      std::lock_guard<std::mutex> lock(mu);
      for (const auto& c : calls) out += CallJson(c) + "\n";
      return text(std::move(out), "application/x-ndjson");
    });
    r.Post("/_standin/reset", [this, text](const http::HttpRequest&) {
      std::lock_guard<std::mutex> lock(mu);
      calls.clear();
      tickets.clear();
      articles.clear();
      return text("{}", "application/json");
    });
    r.Post("/_standin/fault", [this, text](const http::HttpRequest& req) {
      boost::system::error_code ec;
      json::value v = json::parse(req.body, ec);
      if (ec || !v.is_object()) return Bare(400);
      Fault f;
      auto& o = v.as_object();
      auto num = [&](const char* k, auto def) -> decltype(def) {
        auto* x = o.if_contains(k);
        return x && x->is_number() ? x->to_number<decltype(def)>() : def;
      };
      f.fail_rate = num("fail_rate", 0.0);
      f.fail_next = num("fail_next", 0);
      f.status = num("status", 500);
      f.retry_after_s = num("retry_after", -1);
      f.rate_reset_in_s = num("rate_reset_in", int64_t{-1});
      f.delay_ms = num("delay_ms", 0);
      f.apply_effect = num("apply_effect", -1);
      if (auto* x = o.if_contains("reset"); x && x->is_bool()) f.reset = x->as_bool();
      if (auto* x = o.if_contains("path_contains"); x && x->is_string())
        f.path_contains = std::string(x->as_string());
      std::lock_guard<std::mutex> lock(mu);
      fault = f;
      return text("{}", "application/json");
    });
    return r;
  }

  // Stops serving, then the timer thread (a delayed answer still pending is sent first, within
  // the server's grace). REQUIRES: life_mu held.
  void StopLocked() {
    if (server) {
      server->Stop();
      if (serve_thread.joinable()) serve_thread.join();
      server.reset();
    }
    if (timers) {
      timers_guard.reset();
      timers->stop();
      if (timer_thread.joinable()) timer_thread.join();
      timers.reset();  // drops unsent delayed answers: their server is gone
    }
    std::lock_guard<std::mutex> lock(mu);
    if (record.is_open()) record.close();
  }
};

Standin::Standin() : impl_(std::make_unique<Impl>()) {}
Standin::~Standin() { Stop(); }

int Standin::Start(int port, const std::string& record_path, int threads) {
  Impl* impl = impl_.get();
  std::lock_guard<std::mutex> life(impl->life_mu);
  if (impl->server) return -1;  // already serving
  {
    std::lock_guard<std::mutex> lock(impl->mu);
    if (!record_path.empty()) impl->record.open(record_path, std::ios::app);
  }
  impl->timers = std::make_unique<asio::io_context>(1);
  impl->timers_guard.emplace(impl->timers->get_executor());
  impl->timer_thread = std::thread([impl] {
    pthread_setname_np(pthread_self(), "standin-timer");
    impl->timers->run();
  });

  http::ServerOptions o;
  o.address = "127.0.0.1";
  o.port = port;
  o.io_threads = 1;
  o.worker_threads = std::max(1, threads);
  o.body_limit_bytes = 1 << 20;
  o.read_timeout_ms = 10000;
  o.write_timeout_ms = 10000;
  o.keep_alive_timeout_s = 30;
  o.keep_alive_max_requests = 100000;
  o.tcp_nodelay = true;
  // Like deskhook's own server: a burst of new connections (the outbox lanes starting at once)
  // must not wait a second for SYN retries, as with cpp-httplib's backlog of 5.
  o.listen_backlog = 1024;
  http::Router router = impl->AdminRoutes();
  router.Fallback([impl](http::HttpRequest&& req, http::Responder responder) {
    if (req.path.rfind("/_standin/", 0) == 0) return responder.Send(Bare(404));
    impl->Handle(std::move(req), std::move(responder));
  });
  impl->server = std::make_unique<http::Server>(o, std::move(router));
  if (!impl->server->Bind().ok()) {
    impl->StopLocked();
    return -1;
  }
  impl->port = impl->server->port();
  impl->serve_thread = std::thread([impl] { impl->server->Serve(); });
  return impl->port;
}

void Standin::Stop() {
  std::lock_guard<std::mutex> life(impl_->life_mu);
  impl_->StopLocked();
}

void Standin::SetFault(const Fault& fault) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->fault = fault;
}

void Standin::Reset() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->calls.clear();
  impl_->tickets.clear();
  impl_->articles.clear();
}

std::vector<Call> Standin::Calls() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->calls;
}

std::vector<Call> Standin::CallsSince(size_t from) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (from >= impl_->calls.size()) return {};
  return std::vector<Call>(impl_->calls.begin() + static_cast<std::ptrdiff_t>(from), impl_->calls.end());
}

size_t Standin::CallCount() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->calls.size();
}

int Standin::EffectCount(const std::string& marker) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  int n = 0;
  auto mentions = [&](const json::value& v) {
    return json::serialize(v).find(marker) != std::string::npos;
  };
  for (const auto& [id, t] : impl_->tickets)
    for (const auto& note : t.notes) n += mentions(note);
  for (const auto& a : impl_->articles) n += mentions(a);
  return n;
}

std::vector<std::string> Standin::Tags(const std::string& ticket) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->tickets.find(ticket);
  if (it == impl_->tickets.end()) return {};
  return {it->second.tags.begin(), it->second.tags.end()};
}

std::string Standin::StateJson() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->StateJsonLocked();
}

std::string Standin::CallJson(const Call& c) {
  return json::serialize(json::object{{"seq", c.seq}, {"t_ms", c.t_ms}, {"method", c.method},
                                      {"path", c.path}, {"key", c.key}, {"auth", c.has_auth},
                                      {"status", c.status}, {"fault", c.fault}, {"body", c.body}});
}

}  // namespace deskhook::standin
