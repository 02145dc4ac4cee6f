// Internal to HttpSender: a TCP socket whose synchronous reads and writes give up at a deadline.
//
// Why not the obvious ways: Asio's synchronous socket operations take no timeout, and
// SO_RCVTIMEO/SO_SNDTIMEO do not help under them: when recv() fails with EAGAIN, Asio's
// sync_recv/sync_send poll() with no timeout and wait on (boost/asio/detail/impl/socket_ops.ipp).
// A private io_context per connection with async operations and run_for() works, but costs an
// epoll registration, a timer and handler allocations per operation. So the socket is put in
// non-blocking mode (Asio then returns would_block at once) and read_some/write_some wait with
// poll() until the deadline themselves. Per request on a kept connection: poll() (still open?),
// send(), poll(), recv().
//
// Meets Beast's SyncReadStream and SyncWriteStream, and is the next layer of
// asio::ssl::stream (which only calls read_some/write_some on it, synchronously).
// Not thread-safe: one caller at a time.
#pragma once

#include <poll.h>

#include <chrono>
#include <cstdint>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

namespace deskhook::sender_internal {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

class TimedSocket {
 public:
  using executor_type = tcp::socket::executor_type;
  using lowest_layer_type = tcp::socket::lowest_layer_type;

  explicit TimedSocket(asio::io_context& io) : socket_(io) {}

  // Tries `endpoints` in order until one accepts, each within `timeout_ms` (a non-blocking
  // connect() and poll()). On success the socket is non-blocking with TCP_NODELAY on. The
  // error is the last endpoint's (timed_out when it did not answer in time); `*tried` names it.
  error_code Connect(const tcp::resolver::results_type& endpoints, int64_t timeout_ms,
                     std::string* tried);

  // The reads and writes that follow must finish within `timeout_ms` from now (together).
  void SetDeadline(int64_t timeout_ms);

  // True when the peer has neither closed, reset nor sent anything: a poll() that does not wait.
  // An idle keep-alive connection that fails this must not be reused.
  bool QuietAndOpen();

  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers, error_code& ec) {
    // The first read after a write waits before it tries: the answer cannot be there yet, and
    // a recv() that fails with EAGAIN would be one more system call per request.
    if (just_wrote_) {
      just_wrote_ = false;
      if (!Wait(POLLIN, ec)) return 0;
    }
    for (;;) {
      const size_t n = socket_.read_some(buffers, ec);
      if (ec != asio::error::would_block) return n;
      if (!Wait(POLLIN, ec)) return 0;
    }
  }
  template <class ConstBufferSequence>
  size_t write_some(const ConstBufferSequence& buffers, error_code& ec) {
    for (;;) {
      const size_t n = socket_.write_some(buffers, ec);
      if (ec != asio::error::would_block) {
        just_wrote_ = !ec;
        return n;
      }
      if (!Wait(POLLOUT, ec)) return 0;
    }
  }
  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers) {
    error_code ec;
    const size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }
  template <class ConstBufferSequence>
  size_t write_some(const ConstBufferSequence& buffers) {
    error_code ec;
    const size_t n = write_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

  executor_type get_executor() { return socket_.get_executor(); }
  lowest_layer_type& lowest_layer() { return socket_.lowest_layer(); }
  const lowest_layer_type& lowest_layer() const { return socket_.lowest_layer(); }

 private:
  // Waits until the socket is ready for `events` (or has an error or hang-up, which the next
  // recv/send reports). False with ec = timed_out at the deadline.
  bool Wait(short events, error_code& ec);

  tcp::socket socket_;
  std::chrono::steady_clock::time_point deadline_{};
  bool just_wrote_ = false;
};

}  // namespace deskhook::sender_internal
