// Name lookup with a deadline, for the outbox sender. The system resolver (getaddrinfo) has no
// timeout of its own: with an unreachable name server it waits for resolv.conf's timeouts and
// attempts (tens of seconds), and a sender thread would be stuck that long, far past the
// connect timeout the admin configured.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

namespace deskhook::sender_internal {

using Endpoints = boost::asio::ip::tcp::resolver::results_type;
// A blocking lookup of host:port; sets *ec on failure.
using LookupFn = std::function<Endpoints(const std::string& host, const std::string& port,
                                         boost::system::error_code* ec)>;

// The system resolver, blocking.
Endpoints SystemLookup(const std::string& host, const std::string& port, boost::system::error_code* ec);

// Runs `lookup` on a thread of its own and waits at most `timeout_ms` for it. On time: its
// result. Late: `boost::asio::error::timed_out`, and the lookup is left to finish on its thread,
// which then frees what it holds (getaddrinfo cannot be interrupted). Any thread.
Endpoints ResolveWithin(const std::string& host, const std::string& port, int64_t timeout_ms,
                        boost::system::error_code* ec, const LookupFn& lookup = SystemLookup);

}  // namespace deskhook::sender_internal
