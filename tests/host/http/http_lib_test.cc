// host/http: the event-loop server on its own (routing, limits, timeouts, async answers,
// draining, TLS), talked to by cpp-httplib's client and by raw sockets for what a well-behaved
// client never does.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <thread>

#include "host/http/server.h"

namespace deskhook::http {
namespace {

using namespace std::chrono_literals;

// A server on a free loopback port, serving on its own thread until destroyed.
class Running {
 public:
  explicit Running(Router router, ServerOptions o = {}) {
    o.port = 0;
    server_ = std::make_unique<Server>(o, std::move(router));
    Status st = server_->Bind();
    EXPECT_TRUE(st.ok()) << st.ToString();
    thread_ = std::thread([this] { server_->Serve(); });
  }
  ~Running() { Stop(); }
  void Stop(int grace_ms = 2000) {
    if (!thread_.joinable()) return;
    server_->Stop(grace_ms);
    thread_.join();
  }
  int port() const { return server_->port(); }
  Server& server() { return *server_; }
  httplib::Client Client() const {
    httplib::Client c("127.0.0.1", port());
    c.set_read_timeout(5);
    c.set_keep_alive(true);
    return c;
  }

 private:
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

int Connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

void SendAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<size_t>(n);
  }
}

// Everything the server sends until it closes the connection (or 5 s pass).
std::string ReadUntilClosed(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Router EchoRouter() {
  Router r;
  r.Get("/healthz", [](const HttpRequest&) { return HttpResponse::Json(200, R"({"status":"ok"})"); }, RunOn::kOnLoop)
      .Get("/items/{}", [](const HttpRequest& req) {
        return HttpResponse::Json(200, "item=" + req.captures.at(0) + " q=" + std::string(req.Param("q")));
      })
      .Post("/echo", [](const HttpRequest& req) {
        HttpResponse res = HttpResponse::Json(201, req.body);
        res.headers.emplace_back("X-Got-Header", std::string(req.headers.Get("x-custom")));
        return res;
      });
  return r;
}

TEST(HttpLib, RoutesSyncHandlersWithCapturesQueryAndHeaders) {
  Running s(EchoRouter());
  auto c = s.Client();
  auto health = c.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, R"({"status":"ok"})");
  EXPECT_EQ(health->get_header_value("Content-Type"), "application/json");

  auto item = c.Get("/items/42?q=a%20b%2Bc");
  ASSERT_TRUE(item);
  EXPECT_EQ(item->body, "item=42 q=a b+c");

  auto echo = c.Post("/echo", {{"X-Custom", "yes"}}, "payload", "application/json");
  ASSERT_TRUE(echo);
  EXPECT_EQ(echo->status, 201);
  EXPECT_EQ(echo->body, "payload");
  EXPECT_EQ(echo->get_header_value("X-Got-Header"), "yes");
}

TEST(HttpLib, QueryStringsAreSplitAndDecoded) {
  auto q = ParseQuery("ticket=7&instance=zd%2Dmain&text=a+b%20c&flag&=x&bad=%zz&");
  ASSERT_EQ(q.size(), 6u);
  EXPECT_EQ(q[0], std::make_pair(std::string("ticket"), std::string("7")));
  EXPECT_EQ(q[1].second, "zd-main");
  EXPECT_EQ(q[2].second, "a b c");
  EXPECT_EQ(q[3], std::make_pair(std::string("flag"), std::string()));
  EXPECT_EQ(q[4], std::make_pair(std::string(""), std::string("x")));
  EXPECT_EQ(q[5].second, "%zz");
  EXPECT_EQ(PercentDecode("%zz%4", false), "%zz%4") << "invalid escapes are kept";
  EXPECT_EQ(PercentDecode("a+b", false), "a+b");
}

TEST(HttpLib, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  Running s(EchoRouter());
  auto c = s.Client();
  auto missing = c.Get("/nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_NE(missing->body.find("not_found"), std::string::npos);
  EXPECT_EQ(c.Get("/items")->status, 404);       // "{}" needs a segment
  EXPECT_EQ(c.Get("/items/1/2")->status, 404);
  auto wrong = c.Delete("/echo");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(wrong->get_header_value("Allow"), "POST");
}

TEST(HttpLib, AsyncHandlerAnswersLaterFromAnotherThread) {
  std::atomic<int> handler_thread_answers{0};
  Router r;
  r.PostAsync("/later", [&](HttpRequest&& req, Responder responder) {
    std::thread([body = std::move(req.body), responder, &handler_thread_answers] {
      std::this_thread::sleep_for(50ms);
      handler_thread_answers++;
      responder.Send(HttpResponse::Json(200, "late:" + body));
      responder.Send(HttpResponse::Json(500, "ignored: the first answer wins"));
    }).detach();
  });
  Running s(std::move(r));
  auto c = s.Client();
  for (int i = 0; i < 3; ++i) {  // the same keep-alive connection goes on after each answer
    auto res = c.Post("/later", "x" + std::to_string(i), "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->body, "late:x" + std::to_string(i));
  }
  EXPECT_EQ(handler_thread_answers.load(), 3);
  EXPECT_EQ(s.server().Stats().connections_accepted, 1);
}

TEST(HttpLib, ARequestNobodyAnswersGets500) {
  Router r;
  r.PostAsync("/dropped", [](HttpRequest&&, Responder) {});  // the responder goes away unsent
  r.Get("/throws", [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("boom"); });
  Running s(std::move(r));
  auto c = s.Client();
  auto dropped = c.Post("/dropped", "{}", "application/json");
  ASSERT_TRUE(dropped);
  EXPECT_EQ(dropped->status, 500);
  auto threw = c.Get("/throws");
  ASSERT_TRUE(threw);
  EXPECT_EQ(threw->status, 500);
  EXPECT_EQ(threw->body.find("boom"), std::string::npos) << "exception text stays in the server";
}

// Reads until the server closes; `reset` tells whether it ended with a RST (ECONNRESET) rather
// than an orderly FIN.
std::string ReadUntilClosed(int fd, bool* reset) {
  std::string out;
  char buf[4096];
  *reset = false;
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == ECONNRESET) *reset = true;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

TEST(HttpLib, AHandlerCanResetTheConnectionInsteadOfAnswering) {
  std::atomic<int> handled{0};
  Router r;
  r.Get("/healthz", [](const HttpRequest&) { return HttpResponse::Json(200, R"({"status":"ok"})"); }, RunOn::kOnLoop)
      .Post("/drop", [&](const HttpRequest&) {
        handled++;
        HttpResponse res = HttpResponse::Json(200, R"({"never":"sent"})");
        res.abort = true;
        return res;
      })
      .PostAsync("/drop-later", [&](HttpRequest&&, Responder responder) {
        std::thread([&handled, responder] {
          std::this_thread::sleep_for(20ms);
          handled++;
          responder.Send(HttpResponse::Abort());
        }).detach();
      });
  Running s(std::move(r));

  // On a keep-alive connection: the first request is answered, the second gets a RST and not
  // a byte of its answer.
  int fd = Connect(s.port());
  ASSERT_GE(fd, 0);
  SendAll(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  char buf[512];
  ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  ASSERT_GT(n, 0);
  ASSERT_EQ(std::string(buf, static_cast<size_t>(n)).rfind("HTTP/1.1 200", 0), 0u);
  SendAll(fd, "POST /drop HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}");
  bool reset = false;
  EXPECT_EQ(ReadUntilClosed(fd, &reset), "");
  EXPECT_TRUE(reset) << "closed with a FIN, not a RST";
  close(fd);

  // From an async handler's responder, seen by an HTTP client: a failed read, no status.
  httplib::Client c("127.0.0.1", s.port());
  c.set_read_timeout(5);
  auto dropped = c.Post("/drop-later", "{}", "application/json");
  EXPECT_FALSE(dropped);
  EXPECT_EQ(dropped.error(), httplib::Error::Read);
  EXPECT_EQ(handled.load(), 2);

  // The server goes on serving, and the reset connections are gone from its count.
  auto health = s.Client().Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(s.server().Stats().requests, 4);
  for (int i = 0; i < 100 && s.server().Stats().connections_open > 1; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_LE(s.server().Stats().connections_open, 1);
}

TEST(HttpLib, AFallbackTakesEveryRequestNoRouteMatches) {
  Router r;
  r.Get("/healthz", [](const HttpRequest&) { return HttpResponse::Json(200, "route"); }, RunOn::kOnLoop)
      .Get("/items/{}", [](const HttpRequest&) { return HttpResponse::Json(200, "item"); })
      .Fallback([](HttpRequest&& req, Responder responder) {
        responder.Send(HttpResponse::Json(
            299, req.method + " " + req.path + " q=" + std::string(req.Param("q")) +
                     " captures=" + std::to_string(req.captures.size()) + " body=" + req.body));
      });
  Running s(std::move(r));
  auto c = s.Client();
  EXPECT_EQ(c.Get("/healthz")->body, "route") << "a matching route still wins";
  EXPECT_EQ(c.Get("/items/7")->body, "item");
  auto del = c.Delete("/healthz");  // a known path under another method: no 405
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 299);
  EXPECT_EQ(del->body, "DELETE /healthz q= captures=0 body=");
  auto patch = c.Patch("/items/7/deep/x?q=1", "p", "application/json");
  ASSERT_TRUE(patch);
  EXPECT_EQ(patch->body, "PATCH /items/7/deep/x q=1 captures=0 body=p");

  Router plain = EchoRouter();
  std::vector<std::string> captures;
  EXPECT_EQ(plain.Find("PATCH", "/nope", &captures).route, nullptr) << "without a fallback, nothing matches";
}

TEST(HttpLib, OversizedBodyIs413BeforeTheBodyIsRead) {
  ServerOptions o;
  o.body_limit_bytes = 1000;
  std::atomic<int> called{0};
  Router r;
  r.Post("/echo", [&](const HttpRequest&) { called++; return HttpResponse::Json(200, "{}"); });
  Running s(std::move(r), o);
  auto c = s.Client();
  auto big = c.Post("/echo", std::string(200000, 'a'), "application/json");
  ASSERT_TRUE(big) << "the 413 must reach the client even though it was still sending";
  EXPECT_EQ(big->status, 413);
  EXPECT_NE(big->body.find("payload_too_large"), std::string::npos);
  auto fits = c.Post("/echo", std::string(1000, 'a'), "application/json");
  ASSERT_TRUE(fits);
  EXPECT_EQ(fits->status, 200);
  EXPECT_EQ(called.load(), 1);
}

TEST(HttpLib, MalformedRequestIs400AndOversizedHeadIs431) {
  ServerOptions o;
  o.header_limit_bytes = 2048;
  Running s(EchoRouter(), o);
  int fd = Connect(s.port());
  ASSERT_GE(fd, 0);
  SendAll(fd, "THIS IS NOT HTTP\r\n\r\n");
  std::string answer = ReadUntilClosed(fd);
  close(fd);
  EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;

  fd = Connect(s.port());
  SendAll(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4000, 'b') + "\r\n\r\n");
  answer = ReadUntilClosed(fd);
  close(fd);
  EXPECT_EQ(answer.rfind("HTTP/1.1 431", 0), 0u) << answer;
}

TEST(HttpLib, ExpectContinueGetsA100BeforeTheBody) {
  Running s(EchoRouter());
  int fd = Connect(s.port());
  SendAll(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  char buf[256];
  ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), "HTTP/1.1 100 Continue\r\n\r\n");
  SendAll(fd, "hello");
  n = ::recv(fd, buf, sizeof buf, 0);
  ASSERT_GT(n, 0);
  std::string answer(buf, static_cast<size_t>(n));
  EXPECT_EQ(answer.rfind("HTTP/1.1 201", 0), 0u) << answer;
  EXPECT_NE(answer.find("\r\n\r\nhello"), std::string::npos);
  close(fd);
}

TEST(HttpLib, SlowOrIdleClientsAreClosedByTheirTimeouts) {
  ServerOptions o;
  o.read_timeout_ms = 300;
  o.keep_alive_timeout_s = 1;
  Running s(EchoRouter(), o);
  // Half a request head, then silence: closed after the read timeout, nothing answered.
  int fd = Connect(s.port());
  SendAll(fd, "GET /healthz HTTP/1.1\r\nHo");
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(ReadUntilClosed(fd), "");
  auto waited = std::chrono::steady_clock::now() - t0;
  close(fd);
  EXPECT_GE(waited, 250ms);
  EXPECT_LT(waited, 2s);
  // A keep-alive connection idle after its answer: closed after keep_alive_timeout_s.
  fd = Connect(s.port());
  SendAll(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  t0 = std::chrono::steady_clock::now();
  std::string answer = ReadUntilClosed(fd);
  waited = std::chrono::steady_clock::now() - t0;
  close(fd);
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_GE(waited, 900ms);
  EXPECT_LT(waited, 3s);
  EXPECT_GE(s.server().Stats().timeouts, 2);
}

TEST(HttpLib, KeepAliveMaxRequestsClosesAfterTheLastAnswer) {
  ServerOptions o;
  o.keep_alive_max_requests = 2;
  Running s(EchoRouter(), o);
  int fd = Connect(s.port());
  // Two pipelined requests and a third: the second answer says close, the third is not read.
  SendAll(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
              "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string answer = ReadUntilClosed(fd);
  close(fd);
  size_t first = answer.find("HTTP/1.1 200");
  size_t second = answer.find("HTTP/1.1 200", first + 1);
  ASSERT_NE(second, std::string::npos) << answer;
  EXPECT_EQ(answer.find("HTTP/1.1 200", second + 1), std::string::npos) << answer;
  EXPECT_NE(answer.find("Connection: close", second), std::string::npos) << answer;
}

TEST(HttpLib, ManyKeepAliveConnectionsNeedNoThreadEach) {
  ServerOptions o;
  o.io_threads = 1;
  o.worker_threads = 1;
  Running s(EchoRouter(), o);
  // 200 connections open at once, each answered in turn; cpp-httplib's server would need a
  // pool thread per open connection for this.
  std::vector<int> fds;
  for (int i = 0; i < 200; ++i) fds.push_back(Connect(s.port()));
  for (int fd : fds) SendAll(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  int answered = 0;
  for (int fd : fds) {
    char buf[512];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0 && std::string(buf, static_cast<size_t>(n)).rfind("HTTP/1.1 200", 0) == 0) ++answered;
    close(fd);
  }
  EXPECT_EQ(answered, 200);
}

TEST(HttpLib, ConnectionsOverTheLimitGet503) {
  ServerOptions o;
  o.max_connections = 3;
  Running s(EchoRouter(), o);
  std::vector<int> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(Connect(s.port()));
    SendAll(held.back(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    char buf[512];
    ASSERT_GT(::recv(held.back(), buf, sizeof buf, 0), 0);  // admitted and answered
  }
  int extra = Connect(s.port());
  std::string answer = ReadUntilClosed(extra);
  close(extra);
  EXPECT_EQ(answer.rfind("HTTP/1.1 503", 0), 0u) << answer;
  EXPECT_EQ(s.server().Stats().connections_refused, 1);
  for (int fd : held) close(fd);
}

TEST(HttpLib, StopAnswersTheRequestInFlightAndClosesIdleConnections) {
  std::promise<Responder> pending;
  Router r;
  r.PostAsync("/slow", [&](HttpRequest&&, Responder responder) { pending.set_value(responder); });
  r.Get("/healthz", [](const HttpRequest&) { return HttpResponse::Json(200, "{}"); });
  auto s = std::make_unique<Running>(std::move(r));
  int idle = Connect(s->port());
  SendAll(idle, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  char buf[512];
  ASSERT_GT(::recv(idle, buf, sizeof buf, 0), 0);

  auto in_flight = std::async(std::launch::async, [port = s->port()] {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(5);
    auto res = c.Post("/slow", "{}", "application/json");
    return res ? std::make_pair(res->status, res->get_header_value("Connection")) : std::make_pair(-1, std::string());
  });
  Responder responder = pending.get_future().get();
  auto stopped = std::async(std::launch::async, [&] { s->Stop(5000); });
  EXPECT_EQ(ReadUntilClosed(idle), "") << "an idle keep-alive connection is closed at once";
  close(idle);
  EXPECT_EQ(stopped.wait_for(200ms), std::future_status::timeout) << "Stop waits for the answer in flight";
  responder.Send(HttpResponse::Json(200, "{}"));
  auto [status, connection] = in_flight.get();
  EXPECT_EQ(status, 200);
  EXPECT_EQ(connection, "close");
  stopped.get();
  EXPECT_NE(httplib::Client("127.0.0.1", s->port()).Get("/healthz").error(), httplib::Error::Success)
      << "nothing listens after Stop";
}

TEST(HttpLib, AnswerArrivingAfterTheServerIsGoneIsDropped) {
  std::promise<Responder> pending;
  Router r;
  r.PostAsync("/slow", [&](HttpRequest&&, Responder responder) { pending.set_value(responder); });
  auto s = std::make_unique<Running>(std::move(r));
  auto in_flight = std::async(std::launch::async, [port = s->port()] {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(5);
    return static_cast<bool>(c.Post("/slow", "{}", "application/json"));
  });
  Responder responder = pending.get_future().get();
  s->Stop(100);  // the grace passes without an answer: the connection is closed
  EXPECT_FALSE(in_flight.get());
  s.reset();
  responder.Send(HttpResponse::Json(200, "{}"));  // must not touch the destroyed loops
  SUCCEED();
}

TEST(HttpLib, ServesHttpsWithTheConfiguredCertificate) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("deskhook-httplib-tls-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string key = (dir / "key.pem").string(), cert = (dir / "cert.pem").string();
  std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -keyout " + key + " -out " + cert +
                    " -days 1 -subj /CN=127.0.0.1 >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "openssl CLI not available to make a test cert";
  ServerOptions o;
  o.tls_cert = cert;
  o.tls_key = key;
  Running s(EchoRouter(), o);
  httplib::SSLClient c("127.0.0.1", s.port());
  c.enable_server_certificate_verification(false);
  auto res = c.Post("/echo", "over tls", "application/json");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 201);
  EXPECT_EQ(res->body, "over tls");
  httplib::Client plain("127.0.0.1", s.port());
  plain.set_read_timeout(2);
  auto refused = plain.Get("/healthz");
  EXPECT_TRUE(!refused || refused->status != 200) << "plain HTTP is not answered on the TLS port";
  fs::remove_all(dir);
}

TEST(HttpLib, BadCertificateIsRefusedAtBind) {
  ServerOptions o;
  o.port = 0;
  o.tls_cert = "/nonexistent/cert.pem";
  o.tls_key = "/nonexistent/key.pem";
  Server server(o, EchoRouter());
  Status st = server.Bind();
  EXPECT_EQ(st.code(), Code::kUnavailable);
  EXPECT_NE(st.message().find("http.tls"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace deskhook::http
