#include "host/http_sender_socket.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>

namespace deskhook::sender_internal {
namespace {

using Clock = std::chrono::steady_clock;

// Milliseconds left until `deadline`, rounded up (poll() would otherwise spin on the last one).
int64_t MsLeft(Clock::time_point deadline) {
  const auto left = deadline - Clock::now();
  if (left <= Clock::duration::zero()) return 0;
  return std::chrono::ceil<std::chrono::milliseconds>(left).count();
}

error_code LastError() { return error_code(errno, boost::system::system_category()); }

}  // namespace

error_code TimedSocket::Connect(const tcp::resolver::results_type& endpoints, int64_t timeout_ms,
                                std::string* tried) {
  error_code ec = asio::error::host_not_found;
  for (const auto& entry : endpoints) {
    const tcp::endpoint ep = entry.endpoint();
    *tried = ep.address().to_string() + ":" + std::to_string(ep.port());
    error_code ignored;
    socket_.close(ignored);
    socket_.open(ep.protocol(), ec);
    // Asio's own connect() would poll() without a timeout: connect the native socket instead.
    if (!ec) socket_.non_blocking(true, ec);
    if (!ec) socket_.set_option(tcp::no_delay(true), ec);
    if (ec) continue;
    const int fd = socket_.native_handle();
    if (::connect(fd, ep.data(), static_cast<socklen_t>(ep.size())) == 0) return {};
    if (errno != EINPROGRESS) {
      ec = LastError();
      continue;
    }
    SetDeadline(timeout_ms);
    if (!Wait(POLLOUT, ec)) continue;
    int err = 0;
    socklen_t len = sizeof(err);
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err == 0) return {};
    ec = error_code(err, boost::system::system_category());
  }
  error_code ignored;
  socket_.close(ignored);
  return ec;
}

void TimedSocket::SetDeadline(int64_t timeout_ms) {
  deadline_ = Clock::now() + std::chrono::milliseconds(std::max<int64_t>(1, timeout_ms));
}

bool TimedSocket::QuietAndOpen() {
  pollfd p{socket_.native_handle(), POLLIN, 0};
  int r;
  do {
    r = ::poll(&p, 1, 0);
  } while (r < 0 && errno == EINTR);
  // Readable on an idle connection means EOF (the server closed it), a reset, or bytes nobody
  // asked for: none of them leaves a connection fit for the next request.
  return r == 0;
}

bool TimedSocket::Wait(short events, error_code& ec) {
  pollfd p{socket_.native_handle(), events, 0};
  for (;;) {
    const int64_t left = MsLeft(deadline_);
    if (left == 0) {
      ec = asio::error::timed_out;
      return false;
    }
    p.revents = 0;
    const int r = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, INT_MAX)));
    if (r > 0) return true;
    if (r < 0 && errno != EINTR) {
      ec = LastError();
      return false;
    }
  }
}

}  // namespace deskhook::sender_internal
