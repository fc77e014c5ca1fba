// Ring-buffer records from the BPF program: decoding (the kernel side is trusted to write
// the layout, but every length is still checked) and the join of a sampled request with
// its response.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "bpf/sampler_abi.h"
#include "http_sampler.pb.h"

namespace paddock::http_sampler {

using Record = std::variant<hs_request, hs_response>;

// Decodes one record. InvalidArgument on a wrong size, an unknown kind, a length beyond
// its buffer or an unknown address family.
absl::StatusOr<Record> DecodeRecord(const void* data, size_t size);

// "GET", "POST", ... ("" for an unknown code).
std::string MethodName(uint8_t method);

// A sampled request together with what happened to it.
struct Completed {
  hs_request request{};
  uint16_t status = 0;      // 0 when no response came within the timeout.
  uint64_t latency_ns = 0;  // 0 without a response.
};

// The Sample message for `c`. `mono_to_unix_ns` converts CLOCK_MONOTONIC to Unix time.
v1::Sample ToSample(const Completed& c, int64_t mono_to_unix_ns);

// Holds sampled requests until their response (or the timeout). Not thread-safe: the
// reader thread owns it.
class Joiner {
 public:
  // `timeout_ns`: how long a request waits; `max_pending`: beyond this many, the oldest is
  // given up (reported without a response).
  Joiner(uint64_t timeout_ns, size_t max_pending) : timeout_ns_(timeout_ns), max_(max_pending) {}

  void set_timeout_ns(uint64_t t) { timeout_ns_ = t; }
  void AddRequest(const hs_request& r, std::vector<Completed>* out);
  // Completes the matching pending request. False when none matches (e.g. the request was
  // lost to a full ring buffer, or already timed out).
  bool AddResponse(const hs_response& r, std::vector<Completed>* out);
  // Reports requests seen more than the timeout before `now_ns` (CLOCK_MONOTONIC).
  void Expire(uint64_t now_ns, std::vector<Completed>* out);
  // Reports every pending request (on shutdown).
  void Flush(std::vector<Completed>* out);
  size_t pending() const { return pending_.size(); }

 private:
  // Ordered by time first, so expiry walks from the front.
  using Key = std::pair<uint64_t, std::string>;  // (request ts_ns, tuple bytes)
  static Key KeyOf(uint64_t ts_ns, const hs_tuple& t);

  uint64_t timeout_ns_;
  size_t max_;
  std::map<Key, hs_request> pending_;
};

}  // namespace paddock::http_sampler
