// HttpSender against a bare TCP server: keep-alive reuse and when a connection must not be
// reused, stale idle connections, answer limits, timeouts and how each failure is classified.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "host/http_sender.h"
#include "raw_http_server.h"

namespace deskhook {
namespace {

using testing::RawHttpServer;

constexpr const char* kOk = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

std::unique_ptr<HttpSender> SenderFor(const std::string& url, int64_t timeout_ms = 2000) {
  HttpSenderOptions o;
  o.base_url = url;
  o.connect_timeout_ms = timeout_ms;
  o.read_timeout_ms = timeout_ms;
  o.write_timeout_ms = timeout_ms;
  return std::move(HttpSender::Create(o).value());
}

// Answers every request on the connection with `answer` until the client closes it.
RawHttpServer::Handler Answering(std::string answer) {
  return [answer](RawHttpServer::Conn& c) {
    while (!c.ReadRequest().empty()) {
      if (!c.Write(answer)) return;
    }
  };
}

TEST(HttpSenderPool, SequentialSendsShareOneKeepAliveConnection) {
  RawHttpServer server(Answering(kOk));
  auto sender = SenderFor(server.url());
  for (int i = 0; i < 5; ++i) {
    HttpAnswer a = sender->Send("PUT", "/t/" + std::to_string(i), {}, "{}");
    ASSERT_EQ(a.status, 200) << a.error;
    EXPECT_EQ(a.body, "ok");
  }
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(server.requests(), 5);
}

TEST(HttpSenderPool, AnIdleConnectionTheServerClosedIsReplacedWithoutSendingTwice) {
  // The server answers "keep-alive" and then closes the connection while it is idle in the pool.
  RawHttpServer server([](RawHttpServer::Conn& c) {
    if (!c.ReadRequest().empty()) c.Write(kOk);
  });
  auto sender = SenderFor(server.url());
  ASSERT_EQ(sender->Send("PUT", "/a", {}, "{}").status, 200);
  ASSERT_TRUE(server.WaitClosed(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the FIN is on its way
  HttpAnswer again = sender->Send("PUT", "/b", {}, "{}");
  EXPECT_EQ(again.status, 200) << again.error;
  EXPECT_EQ(again.transport, TransportError::kNone);
  EXPECT_EQ(server.connections(), 2);
  EXPECT_EQ(server.requests(), 2);  // nothing was written to the closed one, nothing resent
}

TEST(HttpSenderPool, AConnectionTheServerResetWhileIdleIsReplacedToo) {
  std::atomic<bool> answered{false};
  RawHttpServer server([&](RawHttpServer::Conn& c) {
    if (c.ReadRequest().empty() || !c.Write(kOk)) return;
    // Reset only once the client has the answer (a reset may discard unread data).
    for (int i = 0; i < 5000 && !answered; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    c.Reset();
  });
  auto sender = SenderFor(server.url());
  ASSERT_EQ(sender->Send("GET", "/a", {}, "").status, 200);
  answered = true;
  ASSERT_TRUE(server.WaitClosed(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  HttpAnswer again = sender->Send("GET", "/b", {}, "");
  EXPECT_EQ(again.status, 200) << again.error;
  EXPECT_EQ(server.requests(), 2);
}

TEST(HttpSenderPool, ConnectionCloseAndHttp10AnswersAreNotReused) {
  // The server keeps the connection open: a client that reused it would send on it again.
  for (const std::string answer :
       {"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"}) {
    RawHttpServer server(Answering(answer));
    auto sender = SenderFor(server.url());
    for (int i = 0; i < 3; ++i) ASSERT_EQ(sender->Send("GET", "/", {}, "").status, 200) << answer;
    EXPECT_EQ(server.connections(), 3) << answer;
    EXPECT_EQ(server.requests(), 3) << answer;
  }
  // HTTP/1.0 with an explicit keep-alive may be reused.
  RawHttpServer server(Answering("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok"));
  auto sender = SenderFor(server.url());
  for (int i = 0; i < 3; ++i) ASSERT_EQ(sender->Send("GET", "/", {}, "").status, 200);
  EXPECT_EQ(server.connections(), 1);
}

TEST(HttpSenderPool, AnAnswerEndedByClosingIsReadWholeAndTheConnectionDropped) {
  RawHttpServer server([](RawHttpServer::Conn& c) {
    if (!c.ReadRequest().empty()) c.Write("HTTP/1.1 200 OK\r\nX-A: 1\r\n\r\nuntil the end");
  });
  auto sender = SenderFor(server.url());
  HttpAnswer a = sender->Send("GET", "/", {}, "");
  EXPECT_EQ(a.status, 200) << a.error;
  EXPECT_EQ(a.body, "until the end");
  EXPECT_EQ(sender->Send("GET", "/", {}, "").status, 200);
  EXPECT_EQ(server.connections(), 2);
}

TEST(HttpSenderPool, IdleLongerThanTheServersKeepAliveTimeoutOpensANewConnection) {
  RawHttpServer server(Answering("HTTP/1.1 200 OK\r\nKeep-Alive: timeout=1, max=100\r\nContent-Length: 2\r\n\r\nok"));
  auto sender = SenderFor(server.url());
  ASSERT_EQ(sender->Send("GET", "/", {}, "").status, 200);
  ASSERT_EQ(sender->Send("GET", "/", {}, "").status, 200);  // at once: reused
  EXPECT_EQ(server.connections(), 1);
  // timeout=1 s, less a margin (half of it): after 0.7 s idle the server may be closing it.
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  ASSERT_EQ(sender->Send("GET", "/", {}, "").status, 200);
  EXPECT_EQ(server.connections(), 2);
}

TEST(HttpSenderPool, AConnectionIdleLongerThanMaxIdleIsNotReusedEvenIfTheServerKeepsIt) {
  RawHttpServer server(Answering(kOk));  // keep-alive, no timeout announced
  HttpSenderOptions o;
  o.base_url = server.url();
  o.max_idle_ms = 200;
  auto sender = std::move(HttpSender::Create(o).value());
  ASSERT_EQ(sender->Send("GET", "/", {}, "").status, 200);
  ASSERT_EQ(sender->Send("GET", "/", {}, "").status, 200);  // at once: reused
  EXPECT_EQ(server.connections(), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(sender->Send("GET", "/", {}, "").status, 200);
  EXPECT_EQ(server.connections(), 2);
  EXPECT_EQ(server.requests(), 3);
}

TEST(HttpSenderPool, ConcurrentSendersEachGetAConnectionAndTheyAreReused) {
  RawHttpServer server(Answering(kOk));
  HttpSenderOptions o;
  o.base_url = server.url();
  o.max_idle_connections = 4;
  auto sender = std::move(HttpSender::Create(o).value());
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) ok += sender->Send("POST", "/x", {}, "{}").status == 200;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 200);
  EXPECT_EQ(server.requests(), 200);
  EXPECT_LE(server.connections(), 4);
}

TEST(HttpSenderPool, TheRequestCarriesHostLengthAndDefaultHeaders) {
  std::string seen;
  RawHttpServer server([&](RawHttpServer::Conn& c) {
    seen = c.ReadRequest();
    c.Write(kOk);
  });
  auto sender = SenderFor(server.url() + "/pre");
  HttpAnswer a = sender->Send("POST", "/api/a b", {{"Authorization", "Bearer s3cret"}}, R"({"x":1})");
  ASSERT_EQ(a.status, 200) << a.error;
  EXPECT_EQ(seen.rfind("POST /pre/api/a%20b HTTP/1.1\r\n", 0), 0u) << seen;
  EXPECT_NE(seen.find("\r\nHost: 127.0.0.1:" + std::to_string(server.port()) + "\r\n"), std::string::npos);
  EXPECT_NE(seen.find("\r\nAuthorization: Bearer s3cret\r\n"), std::string::npos);
  EXPECT_NE(seen.find("\r\nContent-Type: application/json\r\n"), std::string::npos);
  EXPECT_NE(seen.find("\r\nContent-Length: 7\r\n"), std::string::npos);
  EXPECT_NE(seen.find("\r\nAccept: */*\r\n"), std::string::npos);
  EXPECT_EQ(seen.substr(seen.size() - 11), "\r\n\r\n{\"x\":1}");
}

TEST(HttpSenderPool, AHeaderWithALineBreakIsNotSentAndItsValueNotQuoted) {
  RawHttpServer server(Answering(kOk));
  auto sender = SenderFor(server.url());
  HttpAnswer a = sender->Send("GET", "/", {{"Authorization", "Bearer s3cret\r\nX-Evil: 1"}}, "");
  EXPECT_EQ(a.status, 0);
  EXPECT_EQ(a.transport, TransportError::kNotSent);
  EXPECT_EQ(a.error.find("s3cret"), std::string::npos) << a.error;
  EXPECT_EQ(server.connections(), 0);
}

TEST(HttpSenderPool, AnswerHeadersComeBackAllAndInOrder) {
  RawHttpServer server(Answering(
      "HTTP/1.1 201 Created\r\nX-B: 1\r\nSet-Cookie: a=1\r\nX-A: 2\r\nSet-Cookie: b=2\r\nContent-Length: 0\r\n\r\n"));
  auto sender = SenderFor(server.url());
  HttpAnswer a = sender->Send("POST", "/", {}, "{}");
  ASSERT_EQ(a.status, 201) << a.error;
  std::vector<std::pair<std::string, std::string>> want = {
      {"X-B", "1"}, {"Set-Cookie", "a=1"}, {"X-A", "2"}, {"Set-Cookie", "b=2"}, {"Content-Length", "0"}};
  EXPECT_EQ(a.headers, want);
  EXPECT_EQ(a.Header("x-a"), "2");
}

TEST(HttpSenderPool, HeadAnswersAndInterimAnswersAreRead) {
  RawHttpServer server([](RawHttpServer::Conn& c) {
    for (std::string r; !(r = c.ReadRequest()).empty();) {
      if (r.rfind("HEAD", 0) == 0) {
        c.Write("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n");  // no body follows
      } else {
        c.Write("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody");
      }
    }
  });
  auto sender = SenderFor(server.url());
  HttpAnswer head = sender->Send("HEAD", "/", {}, "");
  EXPECT_EQ(head.status, 200) << head.error;
  EXPECT_EQ(head.body, "");
  HttpAnswer get = sender->Send("GET", "/", {}, "");
  EXPECT_EQ(get.status, 200) << get.error;
  EXPECT_EQ(get.body, "body");
  EXPECT_EQ(server.connections(), 1);
}

TEST(HttpSenderPool, AnOversizedAnswerBodyIsRefusedAsAmbiguous) {
  const std::string big(4096, 'x');
  std::string chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 8; ++i) chunked += "200\r\n" + std::string(512, 'y') + "\r\n";
  chunked += "0\r\n\r\n";
  for (const std::string& answer :
       {"HTTP/1.1 200 OK\r\nContent-Length: 4096\r\n\r\n" + big, chunked}) {
    RawHttpServer server(Answering(answer));
    HttpSenderOptions o;
    o.base_url = server.url();
    o.max_answer_body_bytes = 1024;
    HttpAnswer a = (*HttpSender::Create(o))->Send("GET", "/", {}, "");
    EXPECT_EQ(a.status, 0);
    EXPECT_EQ(a.transport, TransportError::kAmbiguous);
    EXPECT_NE(a.error.find("over 1024 bytes"), std::string::npos) << a.error;
    EXPECT_TRUE(a.body.empty());
  }
  RawHttpServer exact(Answering("HTTP/1.1 200 OK\r\nContent-Length: 1024\r\n\r\n" + std::string(1024, 'z')));
  HttpSenderOptions o;
  o.base_url = exact.url();
  o.max_answer_body_bytes = 1024;
  EXPECT_EQ((*HttpSender::Create(o))->Send("GET", "/", {}, "").body.size(), 1024u);
}

TEST(HttpSenderPool, AWriteTimeoutIsAmbiguous) {
  // The server never reads, and takes little into its buffer: the request cannot be written.
  RawHttpServer server([](RawHttpServer::Conn& c) { c.WaitForStop(); }, /*rcvbuf=*/4096);
  HttpSenderOptions o;
  o.base_url = server.url();
  o.write_timeout_ms = 200;
  const std::string body(32 << 20, 'b');
  HttpAnswer a = (*HttpSender::Create(o))->Send("PUT", "/", {}, body);
  EXPECT_EQ(a.status, 0);
  EXPECT_EQ(a.transport, TransportError::kAmbiguous);
  EXPECT_NE(a.error.find("write timeout"), std::string::npos) << a.error;
  EXPECT_LT(a.duration_ms, 2000);
}

TEST(HttpSenderPool, TheReadTimeoutBoundsTheWholeAnswerNotEachRead) {
  // A server that trickles its answer a byte every 50 ms never lets a single read wait long.
  RawHttpServer server([](RawHttpServer::Conn& c) {
    if (c.ReadRequest().empty()) return;
    if (!c.Write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")) return;
    for (int i = 0; i < 100 && c.Write("x"); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  });
  HttpSenderOptions o;
  o.base_url = server.url();
  o.read_timeout_ms = 300;
  HttpAnswer a = (*HttpSender::Create(o))->Send("GET", "/", {}, "");
  EXPECT_EQ(a.status, 0);
  EXPECT_EQ(a.transport, TransportError::kAmbiguous);
  EXPECT_NE(a.error.find("read timeout"), std::string::npos) << a.error;
  EXPECT_LT(a.duration_ms, 1500);
}

TEST(HttpSenderPool, FailuresAfterTheRequestAreAmbiguous) {
  struct Case {
    const char* name;
    RawHttpServer::Handler handler;
    const char* error;
  };
  std::vector<Case> cases = {
      {"closed", [](RawHttpServer::Conn& c) { c.ReadRequest(); }, "closed before an answer"},
      {"reset", [](RawHttpServer::Conn& c) { if (!c.ReadRequest().empty()) c.Reset(); }, "reset"},
      {"truncated",
       [](RawHttpServer::Conn& c) {
         if (!c.ReadRequest().empty()) c.Write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
       },
       "truncated"},
      {"garbage",
       [](RawHttpServer::Conn& c) {
         if (!c.ReadRequest().empty()) c.Write("SMTP ready\r\n\r\n");
       },
       "reading the answer"},
  };
  for (auto& tc : cases) {
    RawHttpServer server(tc.handler);
    HttpAnswer a = SenderFor(server.url())->Send("PUT", "/", {}, "{}");
    EXPECT_EQ(a.status, 0) << tc.name;
    EXPECT_EQ(a.transport, TransportError::kAmbiguous) << tc.name;
    EXPECT_NE(a.error.find(tc.error), std::string::npos) << tc.name << ": " << a.error;
    EXPECT_EQ(server.requests(), 1) << tc.name;  // sent once, not retried
  }
}

TEST(HttpSenderPool, RefusedAndConnectTimeoutAreNotSent) {
  int free_port;
  {
    RawHttpServer gone(nullptr);
    free_port = gone.port();
  }  // closed: nothing listens there now
  HttpAnswer refused = SenderFor("http://127.0.0.1:" + std::to_string(free_port))->Send("PUT", "/", {}, "{}");
  EXPECT_EQ(refused.status, 0);
  EXPECT_EQ(refused.transport, TransportError::kNotSent);
  EXPECT_NE(refused.error.find("refused"), std::string::npos) << refused.error;

  // A listener that never accepts, its queue full: the kernel drops further SYNs.
  RawHttpServer full(nullptr, 0, /*backlog=*/0);
  std::vector<int> fillers;
  for (int i = 0; i < 2; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(full.port()));
    ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    fillers.push_back(fd);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  HttpAnswer timed_out = SenderFor(full.url(), 300)->Send("PUT", "/", {}, "{}");
  EXPECT_EQ(timed_out.status, 0);
  EXPECT_EQ(timed_out.transport, TransportError::kNotSent);
  EXPECT_NE(timed_out.error.find("timeout"), std::string::npos) << timed_out.error;
  EXPECT_LT(timed_out.duration_ms, 1000);
  for (int fd : fillers) ::close(fd);
}

}  // namespace
}  // namespace deskhook
