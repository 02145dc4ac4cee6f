#include "load_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>

namespace deskhook::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Conn {
  int fd = -1;
  std::string out;
  size_t sent = 0;
  std::string in;
  bool busy = false;
  std::string id;
  Clock::time_point started;
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
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// Returns the status code once a whole answer is in `in` (and removes it), else 0. Sets
// *close when the answer says "Connection: close" (the server ends the connection after it).
int TakeResponse(std::string* in, bool* close) {
  size_t head_end = in->find("\r\n\r\n");
  if (head_end == std::string::npos) return 0;
  size_t cl = 0;
  std::string head = in->substr(0, head_end);
  for (auto& ch : head) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  size_t p = head.find("content-length:");
  if (p != std::string::npos) cl = std::strtoul(head.c_str() + p + 15, nullptr, 10);
  if (in->size() < head_end + 4 + cl) return 0;
  *close = head.find("connection: close") != std::string::npos;
  int status = std::atoi(in->c_str() + 9);
  in->erase(0, head_end + 4 + cl);
  return status;
}

}  // namespace

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t idx = static_cast<size_t>(p * (v.size() - 1));
  return v[idx];
}

LoadResult RunLoad(int port, int connections, double seconds, int64_t max_requests, double rate_per_s,
                   const std::function<std::pair<std::string, std::string>(int64_t)>& make_request) {
  LoadResult r;
  int ep = epoll_create1(0);
  std::vector<Conn> conns(static_cast<size_t>(connections));
  for (size_t i = 0; i < conns.size(); ++i) {
    conns[i].fd = Connect(port);
    if (conns[i].fd < 0) { ++r.errors; continue; }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
  }
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  int64_t next = 0;
  auto scheduled = [&](int64_t i) {
    return start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(i / rate_per_s));
  };
  auto send_next = [&](Conn& c) {
    auto [bytes, id] = make_request(next);
    c.started = rate_per_s > 0 ? scheduled(next) : Clock::now();
    ++next;
    c.out = std::move(bytes);
    c.id = std::move(id);
    c.sent = 0;
    c.busy = true;
    while (c.sent < c.out.size()) {
      ssize_t n = ::send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      c.sent += static_cast<size_t>(n);
    }
  };
  std::deque<size_t> idle;
  for (size_t i = 0; i < conns.size(); ++i) if (conns[i].fd >= 0) idle.push_back(i);
  std::vector<epoll_event> events(conns.size() + 1);
  char buf[65536];
  int busy = 0;
  for (;;) {
    auto now = Clock::now();
    bool more = now < end && (max_requests <= 0 || next < max_requests);
    while (more && !idle.empty() && (rate_per_s <= 0 || scheduled(next) <= now)) {
      size_t i = idle.front();
      idle.pop_front();
      send_next(conns[i]);
      ++busy;
      more = (max_requests <= 0 || next < max_requests);
    }
    if (!more && busy == 0) break;
    if (Clock::now() > end + std::chrono::seconds(10)) break;  // stuck answers
    int timeout_ms = rate_per_s > 0 ? 1 : 100;
    int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), timeout_ms);
    for (int k = 0; k < n; ++k) {
      const size_t idx = events[k].data.u64;
      Conn& c = conns[idx];
      // A new connection in place of c's (closed by the server, or after its "Connection: close").
      auto reopen = [&] {
        epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
        close(c.fd);
        c.fd = Connect(port);
        c.in.clear();
        if (c.fd < 0) return;
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = idx;
        epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
        idle.push_back(idx);
      };
      ssize_t got = ::recv(c.fd, buf, sizeof buf, 0);
      if (got <= 0) {
        if (c.busy) { ++r.errors; --busy; c.busy = false; }
        reopen();
        continue;
      }
      c.in.append(buf, static_cast<size_t>(got));
      bool server_closes = false;
      while (int status = TakeResponse(&c.in, &server_closes)) {
        double ms = std::chrono::duration<double, std::milli>(Clock::now() - c.started).count();
        r.latencies_ms.push_back(ms);
        ++r.requests;
        if (status / 100 == 2) { ++r.ok; r.ok_ids.push_back(c.id); } else { ++r.errors; }
        c.busy = false;
        --busy;
        if (server_closes) break;
        idle.push_back(idx);
      }
      if (server_closes) reopen();
    }
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  for (auto& c : conns) if (c.fd >= 0) close(c.fd);
  close(ep);
  return r;
}

}  // namespace deskhook::bench
