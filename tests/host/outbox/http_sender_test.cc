// HttpSender against cpp-httplib's server: TLS verification (on by default, custom CA path, host
// name), base URL prefixes, timeouts. More (keep-alive, limits, failures) in http_sender_pool_test.cc.
#include <gtest/gtest.h>
#include <httplib.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "host/http_sender.h"
#include "outbox_test_util.h"

namespace deskhook {
namespace {

class ServerThread {
 public:
  explicit ServerThread(httplib::Server* s) : s_(s) {
    port_ = s_->bind_to_any_port("127.0.0.1");
    t_ = std::thread([this] { s_->listen_after_bind(); });
    while (!s_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~ServerThread() {
    s_->stop();
    t_.join();
  }
  int port() const { return port_; }

 private:
  httplib::Server* s_;
  int port_;
  std::thread t_;
};

HttpSenderOptions Options(std::string base_url) {
  HttpSenderOptions o;
  o.base_url = std::move(base_url);
  return o;
}

TEST(HttpSender, RejectsUnusableBaseUrls) {
  EXPECT_EQ(HttpSender::Create(Options("acme.zendesk.com")).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(HttpSender::Create(Options("ftp://acme")).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(HttpSender::Create(Options("https://")).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(HttpSender::Create(Options("http://acme:0")).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(HttpSender::Create(Options("http://acme:65536")).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(HttpSender::Create(Options("http://acme:80x")).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(HttpSender::Create(Options("http://acme:")).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(HttpSender::Create(Options("http://[::1")).status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(HttpSender::Create(Options("https://acme.zendesk.com")).ok());
  EXPECT_TRUE(HttpSender::Create(Options("http://[::1]:8080/prefix")).ok());
  EXPECT_TRUE(HttpSender::Create(Options("http://127.0.0.1:4010")).ok());
}

TEST(HttpSender, PrefixHeadersAndBodyReachTheServer) {
  httplib::Server server;
  std::string seen_path, seen_auth, seen_type, seen_body;
  server.Put(".*", [&](const httplib::Request& req, httplib::Response& res) {
    seen_path = req.path;
    seen_auth = req.get_header_value("Authorization");
    seen_type = req.get_header_value("Content-Type");
    seen_body = req.body;
    res.set_header("Retry-After", "7");
    res.set_content(R"({"ok":true})", "application/json");
  });
  ServerThread st(&server);
  auto sender = HttpSender::Create(Options("http://127.0.0.1:" + std::to_string(st.port()) + "/zd/"));
  ASSERT_TRUE(sender.ok());
  HttpAnswer a = (*sender)->Send("PUT", "/api/v2/tickets/1", {{"Authorization", "Bearer t"}},
                                 R"({"ticket":{}})");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, R"({"ok":true})");
  EXPECT_EQ(a.Header("retry-after"), "7");
  EXPECT_EQ(seen_path, "/zd/api/v2/tickets/1");
  EXPECT_EQ(seen_auth, "Bearer t");
  EXPECT_EQ(seen_type, "application/json");
  EXPECT_EQ(seen_body, R"({"ticket":{}})");
}

TEST(HttpSender, ReadTimeoutIsAmbiguousAndRefusedIsNotSent) {
  httplib::Server server;
  server.Get(".*", [](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    res.set_content("late", "text/plain");
  });
  ServerThread st(&server);
  HttpSenderOptions o;
  o.base_url = "http://127.0.0.1:" + std::to_string(st.port());
  o.read_timeout_ms = 200;
  auto sender = HttpSender::Create(o);
  HttpAnswer a = (*sender)->Send("GET", "/slow", {}, "");
  EXPECT_EQ(a.status, 0);
  EXPECT_EQ(a.transport, TransportError::kAmbiguous);
  EXPECT_LT(a.duration_ms, 550);

  HttpSenderOptions closed;
  closed.base_url = "http://127.0.0.1:1";  // nothing listens on port 1
  HttpAnswer r = (*HttpSender::Create(closed))->Send("GET", "/", {}, "");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.transport, TransportError::kNotSent);
}

// A self-signed certificate for 127.0.0.1 (and that IP only), in a temporary folder.
class TestCert {
 public:
  TestCert() : dir_(std::filesystem::temp_directory_path() / ("deskhook-tls-" + std::to_string(getpid()))) {
    std::filesystem::create_directories(dir_);
    key_ = (dir_ / "key.pem").string();
    cert_ = (dir_ / "cert.pem").string();
    std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -keyout " + key_ + " -out " + cert_ +
                      " -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
                      ">/dev/null 2>&1";
    ok_ = std::system(cmd.c_str()) == 0;
  }
  ~TestCert() { std::filesystem::remove_all(dir_); }
  bool ok() const { return ok_; }
  const std::string& cert() const { return cert_; }
  const std::string& key() const { return key_; }

 private:
  std::filesystem::path dir_;
  std::string key_, cert_;
  bool ok_ = false;
};

TEST(HttpSender, HttpsVerifiesTheCertificateAndHonoursTheCaPath) {
  TestCert tc;
  if (!tc.ok()) GTEST_SKIP() << "openssl CLI not available to make a test cert";
  httplib::SSLServer server(tc.cert().c_str(), tc.key().c_str());
  ASSERT_TRUE(server.is_valid());
  server.Get("/hello", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("hi", "text/plain");
  });
  ServerThread st(&server);
  const std::string url = "https://127.0.0.1:" + std::to_string(st.port());

  // Verification is on by default: a self-signed certificate is refused, nothing is sent.
  HttpSenderOptions strict;
  strict.base_url = url;
  HttpAnswer refused = (*HttpSender::Create(strict))->Send("GET", "/hello", {}, "");
  EXPECT_EQ(refused.status, 0);
  EXPECT_EQ(refused.transport, TransportError::kNotSent);

  // With the CA configured, the same server is trusted.
  HttpSenderOptions with_ca = strict;
  with_ca.ca_path = tc.cert();
  HttpAnswer ok = (*HttpSender::Create(with_ca))->Send("GET", "/hello", {}, "");
  EXPECT_EQ(ok.status, 200) << ok.error;
  EXPECT_EQ(ok.body, "hi");

  // An unreadable CA file: not sent, and said so.
  HttpSenderOptions bad_ca = strict;
  bad_ca.ca_path = "/nonexistent/ca.pem";
  HttpAnswer no_ca = (*HttpSender::Create(bad_ca))->Send("GET", "/hello", {}, "");
  EXPECT_EQ(no_ca.transport, TransportError::kNotSent);
  EXPECT_NE(no_ca.error.find("ca_path"), std::string::npos) << no_ca.error;

  // verify_tls = false (tests only) accepts it without the CA.
  HttpSenderOptions lax = strict;
  lax.verify_tls = false;
  EXPECT_EQ((*HttpSender::Create(lax))->Send("GET", "/hello", {}, "").status, 200);
}

TEST(HttpSender, HttpsChecksTheHostNameAndKeepsTheConnection) {
  TestCert tc;
  if (!tc.ok()) GTEST_SKIP() << "openssl CLI not available to make a test cert";
  httplib::SSLServer server(tc.cert().c_str(), tc.key().c_str());
  ASSERT_TRUE(server.is_valid());
  server.set_keep_alive_max_count(100);
  std::mutex mu;
  std::set<int> client_ports;
  server.Get("/hello", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu);
    client_ports.insert(req.remote_port);
    res.set_content("hi", "text/plain");
  });
  ServerThread st(&server);

  // A trusted certificate that names another host: refused in the handshake, nothing sent.
  HttpSenderOptions other_name;
  other_name.base_url = "https://localhost:" + std::to_string(st.port());
  other_name.ca_path = tc.cert();
  HttpAnswer mismatch = (*HttpSender::Create(other_name))->Send("GET", "/hello", {}, "");
  EXPECT_EQ(mismatch.status, 0);
  EXPECT_EQ(mismatch.transport, TransportError::kNotSent);
  EXPECT_NE(mismatch.error.find("hostname mismatch"), std::string::npos) << mismatch.error;

  HttpSenderOptions o = other_name;
  o.base_url = "https://127.0.0.1:" + std::to_string(st.port());
  auto sender = std::move(HttpSender::Create(o).value());
  for (int i = 0; i < 4; ++i) {
    HttpAnswer a = sender->Send("GET", "/hello", {}, "");
    ASSERT_EQ(a.status, 200) << a.error;
    EXPECT_EQ(a.body, "hi");
  }
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(client_ports.size(), 1u);  // one TLS connection, one handshake, four requests
}

}  // namespace
}  // namespace deskhook
