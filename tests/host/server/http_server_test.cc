// The HTTP front's listening socket: its accept queue takes a burst of new connections.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <vector>

#include "host/http_server.h"

namespace deskhook {
namespace {

int Somaxconn() {
  int n = 4096;
  std::ifstream("/proc/sys/net/core/somaxconn") >> n;
  return n;
}

// Starts `n` connections to 127.0.0.1:port at once and counts those the kernel completed
// within `wait_ms` (a connection whose SYN found the accept queue full is not).
int ConnectedWithin(int port, int n, int wait_ms) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  std::vector<pollfd> fds;
  for (int i = 0; i < n; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));  // EINPROGRESS
    fds.push_back(pollfd{fd, POLLOUT, 0});
  }
  int connected = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  while (!fds.empty() && std::chrono::steady_clock::now() < deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (poll(fds.data(), fds.size(), static_cast<int>(left.count()) + 1) <= 0) break;
    for (size_t i = 0; i < fds.size();) {
      if (fds[i].revents == 0) {
        ++i;
        continue;
      }
      int err = -1;
      socklen_t len = sizeof(err);
      if (getsockopt(fds[i].fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) ++connected;
      close(fds[i].fd);
      fds[i] = fds.back();
      fds.pop_back();
    }
  }
  for (auto& p : fds) close(p.fd);
  return connected;
}

TEST(HttpServerTest, ListenBacklogTakesABurstOfNewConnections) {
  for (int backlog : {256, 5}) {
    HttpConfig config;
    config.port = 0;
    config.listen_backlog = backlog;
    // No request is sent: the server's ingest and admin API are never called.
    HttpServer server(config, nullptr, nullptr, [] { return Status::Ok(); });
    ASSERT_TRUE(server.Bind().ok());
    EXPECT_EQ(server.listen_backlog(), std::min(backlog, Somaxconn()));
    // Not serving: nothing accepts, so only the kernel's queue decides who gets in.
    const int connected = ConnectedWithin(server.port(), 64, 300);
    if (backlog == 256) {
      EXPECT_EQ(connected, 64);
    } else {
      EXPECT_LT(connected, 64) << "httplib's own backlog of 5: the rest wait for a SYN retry";
    }
  }
}

}  // namespace
}  // namespace deskhook
