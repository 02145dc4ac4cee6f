// A small closed-loop HTTP/1.1 load client: C keep-alive connections driven by one epoll thread,
// each sending the next pre-built request as soon as the previous answer arrived. Records the
// latency of every request. Not a general HTTP client: it expects Content-Length answers.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace deskhook::bench {

struct LoadResult {
  int64_t requests = 0;
  int64_t ok = 0;          // 2xx
  int64_t errors = 0;      // non-2xx or broken connections
  double seconds = 0;
  std::vector<double> latencies_ms;
  std::vector<std::string> ok_ids;  // request ids answered 2xx (for the durability check)
};

// `make_request(i)` returns the raw bytes of request i and its id. Runs for `seconds` (or until
// `max_requests`), with `connections` connections to 127.0.0.1:port. When rate_per_s > 0 the
// load is open-loop at that rate (latency measured from the scheduled send time).
LoadResult RunLoad(int port, int connections, double seconds, int64_t max_requests, double rate_per_s,
                   const std::function<std::pair<std::string, std::string>(int64_t)>& make_request);

double Percentile(std::vector<double> v, double p);

}  // namespace deskhook::bench
