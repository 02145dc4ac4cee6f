// A bare TCP server for the HttpSender tests: each accepted connection runs the test's handler
// on its own thread, so the test decides byte by byte what the client gets (keep-alive or not,
// a close while idle, a stall, a reset, an oversized body). Counts connections and requests.
// Listens on 127.0.0.1 only.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace deskhook::testing {

class RawHttpServer {
 public:
  class Conn {
   public:
    Conn(RawHttpServer* server, int fd, int index) : server_(server), fd_(fd), index_(index) {}
    int fd() const { return fd_; }
    int index() const { return index_; }  // 0 for the first connection accepted, 1, ...

    // One whole request (head and Content-Length body), counted; "" at EOF or error.
    std::string ReadRequest() {
      for (;;) {
        const size_t head_end = buffered_.find("\r\n\r\n");
        if (head_end != std::string::npos) {
          const size_t total = head_end + 4 + ContentLength(buffered_.substr(0, head_end));
          if (buffered_.size() >= total) {
            std::string request = buffered_.substr(0, total);
            buffered_.erase(0, total);
            server_->requests_++;
            return request;
          }
        }
        char buf[16384];
        const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
        if (n <= 0) return "";
        buffered_.append(buf, static_cast<size_t>(n));
      }
    }
    bool Write(std::string_view s) {
      while (!s.empty()) {
        const ssize_t n = ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL);
        if (n <= 0) return false;
        s.remove_prefix(static_cast<size_t>(n));
      }
      return true;
    }
    // Closes with a reset (RST) instead of a FIN.
    void Reset() {
      linger l{1, 0};
      ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
      ::close(fd_);
      fd_ = -1;
    }
    // Blocks until the server is destroyed (a handler that never reads nor answers).
    void WaitForStop() {
      std::unique_lock<std::mutex> lock(server_->mu_);
      server_->cv_.wait(lock, [this] { return server_->stopping_; });
    }

   private:
    static size_t ContentLength(const std::string& head) {
      std::string lower(head);
      std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
      const size_t at = lower.find("\r\ncontent-length:");
      return at == std::string::npos ? 0 : std::stoul(lower.substr(at + 17));
    }

    RawHttpServer* server_;
    int fd_;
    int index_;
    std::string buffered_;
  };
  using Handler = std::function<void(Conn&)>;

  // `rcvbuf`: SO_RCVBUF of accepted connections (0 = the kernel's), to make a client's writes
  // block sooner. `backlog`: listen() backlog.
  explicit RawHttpServer(Handler handler, int rcvbuf = 0, int backlog = 64) : handler_(std::move(handler)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (rcvbuf > 0) ::setsockopt(listener_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    ::listen(listener_, backlog);
    if (handler_) accept_thread_ = std::thread([this] { AcceptLoop(); });
  }
  ~RawHttpServer() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
      for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    }
    cv_.notify_all();
    ::shutdown(listener_, SHUT_RDWR);
    if (accept_thread_.joinable()) accept_thread_.join();
    for (auto& t : conn_threads_) t.join();
    ::close(listener_);
  }

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int connections() const { return connections_; }
  int requests() const { return requests_; }
  // Waits until `n` handlers have returned and their connections are closed; false on timeout.
  bool WaitClosed(int n, int timeout_ms = 5000) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return closed_ >= n; });
  }

 private:
  void AcceptLoop() {
    for (;;) {
      const int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) {
        ::close(fd);
        return;
      }
      open_fds_.push_back(fd);
      const int index = connections_++;
      conn_threads_.emplace_back([this, fd, index] {
        Conn conn(this, fd, index);
        handler_(conn);
        std::lock_guard<std::mutex> lock(mu_);
        open_fds_.erase(std::find(open_fds_.begin(), open_fds_.end(), fd));
        if (conn.fd() >= 0) ::close(conn.fd());
        closed_++;
        cv_.notify_all();
      });
    }
  }

  Handler handler_;
  int listener_ = -1;
  int port_ = 0;
  std::thread accept_thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::vector<int> open_fds_;
  std::vector<std::thread> conn_threads_;
  std::atomic<int> connections_{0};
  std::atomic<int> requests_{0};
  int closed_ = 0;
};

}  // namespace deskhook::testing
