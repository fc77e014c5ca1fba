// Completed samples for the userspace tests (hub, aggregates, service): raw records as the
// ring-buffer reader hands them over.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

#include "records.h"

namespace paddock::http_sampler::testing {

// A sampled request from 192.0.2.1:40000 to 192.0.2.2:`port` (path and host cut at their
// bounds), answered with `status` after `latency_us` (status 0: no answer).
inline Completed MakeCompleted(uint8_t method, const std::string& path, const std::string& host,
                               uint16_t status, uint64_t latency_us, uint16_t port = 80,
                               uint64_t ts_ns = 1000) {
  Completed c;
  Request& r = c.request;
  r.kind = HS_KIND_REQUEST;
  r.method = method;
  r.ts_ns = ts_ns;
  r.tuple.family = 4;
  const uint8_t src[4] = {192, 0, 2, 1}, dst[4] = {192, 0, 2, 2};
  std::memcpy(r.tuple.saddr, src, 4);
  std::memcpy(r.tuple.daddr, dst, 4);
  r.tuple.sport = 40000;
  r.tuple.dport = port;
  r.SetText(path, host);
  c.status = status;
  c.latency_ns = latency_us * 1000;
  return c;
}

}  // namespace paddock::http_sampler::testing
