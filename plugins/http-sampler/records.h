// Ring-buffer records from the BPF program: decoding (the kernel side is trusted to write
// the layout, but every length is still checked) and the join of a sampled request with
// its response.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bpf/sampler_abi.h"
#include "http_sampler.pb.h"

namespace paddock::http_sampler {

// A sampled request: the ring record's header and its text (path, then Host value), at
// most HS_TEXT_MAX bytes. Copies move only the header and the bytes in use (a typical
// request is 64 + a few dozen bytes, not the 448 of the largest record), so the joiner,
// the completed batch and the hub's history each cost one short copy.
struct Request : hs_request {
  Request() : hs_request{} {}
  Request(const Request& o) : hs_request(o) { CopyText(o); }
  Request& operator=(const Request& o) {
    if (this != &o) {
      static_cast<hs_request&>(*this) = o;
      CopyText(o);
    }
    return *this;
  }
  // Builds a request from a header and its text (`header.path_len + header.host_len` bytes,
  // each already within HS_PATH_MAX / HS_HOST_MAX: DecodeRecord / CheckRecord checked).
  Request(const hs_request& header, const char* text);

  const char* text() const { return text_; }
  absl::string_view path() const { return absl::string_view(text_, path_len); }
  absl::string_view host() const { return absl::string_view(text_ + path_len, host_len); }
  // Sets the path and Host (each cut at its bound) and their lengths; for tests and tools.
  void SetText(absl::string_view path, absl::string_view host);

 private:
  void CopyText(const Request& o) { std::memcpy(text_, o.text_, size_t{o.path_len} + o.host_len); }
  char text_[HS_TEXT_MAX];
};

using Record = std::variant<Request, hs_response>;

// Decodes one record. InvalidArgument on a size that is not a record's, an unknown kind,
// a length beyond its bound or its record, or an unknown address family.
absl::StatusOr<Record> DecodeRecord(const void* data, size_t size);

// The kind of the record at `data` (HS_KIND_REQUEST or HS_KIND_RESPONSE) when DecodeRecord
// would accept it, else 0. Checks in place, copying nothing: the reader's hot path. When
// `data` is aligned for the record's struct (the ring buffer's records are 8-aligned), the
// caller may read it through a pointer to that struct; a request's text follows its header
// (hs_request) and is path_len + host_len bytes, all within `size`.
uint8_t CheckRecord(const void* data, size_t size);

// "GET", "POST", ... ("" for an unknown code).
std::string MethodName(uint8_t method);

// Bytes from the network as a proto3 string (valid UTF-8, shown on terminals): well-formed
// UTF-8 passes as is, control bytes and bytes that are not UTF-8 become "%XX", as in a URL.
std::string Printable(const char* data, size_t n);

// hs_tuple_hash of `t`: what a response record names its request's tuple by.
uint64_t TupleHash(const hs_tuple& t);

// CLOCK_MONOTONIC now, in ns (the clock bpf_ktime_get_ns uses).
uint64_t MonotonicNowNs();
// CLOCK_REALTIME - CLOCK_MONOTONIC now (ns): adds to a monotonic time to make Unix time.
int64_t MonoToUnixNs();

// A sampled request together with what happened to it.
// (Constructors, not an aggregate: value-initializing an aggregate would zero all of the
// request's text buffer first, the costliest part of building one per sample.)
struct Completed {
  Completed() {}
  Completed(const Request& r, uint16_t s, uint64_t latency)
      : request(r), status(s), latency_ns(latency) {}
  Request request;
  uint16_t status = 0;      // 0 when no response came within the timeout.
  uint64_t latency_ns = 0;  // 0 without a response.
};

// The Sample message for `c`. `mono_to_unix_ns` converts CLOCK_MONOTONIC to Unix time; a
// timestamp that would land past the int64 range reads as INT64_MAX.
v1::Sample ToSample(const Completed& c, int64_t mono_to_unix_ns);

// Holds sampled requests until their response (or the timeout). Not thread-safe: the
// reader thread owns it. Costs per request: one hash insert and one erase (no allocation
// once the table has grown to the number in flight), and the record's used bytes copied
// once.
//
// Records come from one ring per CPU, read ring after ring: a response seen on one CPU may
// be read before its request, seen on another. Such a response is held (same bounds: the
// timeout of its request's timestamp, and max_pending) and completes its request when that
// is added. The kernel commits a request before its response can be written, so a held
// response's request is read by the same drain of the rings; what is still held when its
// request's timeout passes had no request to join (it was given up or had expired) and is
// counted in unmatched().
class Joiner {
 public:
  // `timeout_ns`: how long a request waits; `max_pending`: beyond this many, the oldest is
  // given up (reported without a response).
  Joiner(uint64_t timeout_ns, size_t max_pending) : timeout_ns_(timeout_ns), max_(max_pending) {}

  void set_timeout_ns(uint64_t t) { timeout_ns_ = t; }
  // A checked request record: its header and its text (path_len + host_len bytes).
  void AddRequest(const hs_request& header, const char* text, std::vector<Completed>* out);
  void AddRequest(const Request& r, std::vector<Completed>* out) { AddRequest(r, r.text(), out); }
  // Completes the matching pending request (true), or holds the response for its request
  // (false: not read yet, or never coming, e.g. given up or timed out already).
  bool AddResponse(const hs_response& r, std::vector<Completed>* out);
  // Reports requests seen more than the timeout before `now_ns` (CLOCK_MONOTONIC), and
  // drops held responses whose request's timeout has passed (unmatched).
  void Expire(uint64_t now_ns, std::vector<Completed>* out);
  // Reports every pending request (on shutdown); drops held responses (unmatched).
  void Flush(std::vector<Completed>* out);
  // When (CLOCK_MONOTONIC ns) Expire may next have something to do, or 0 when nothing is
  // pending or held: the expiry of the key that heads an arrival order (which Expire
  // follows too). It may be early (that key may be done already), never late.
  uint64_t NextExpiryNs() const;
  size_t pending() const { return pending_.size(); }
  // Responses held for a request not read yet.
  size_t held() const { return held_.size(); }
  // Responses dropped without a request (held past its timeout, beyond max_pending, or
  // at Flush), since construction.
  uint64_t unmatched() const { return unmatched_; }
  // Keys held for expiry order (pending ones and some completed ones); for tests.
  size_t tracked() const { return order_.size(); }

 private:
  // A request's identity: its timestamp and its tuple's hash (TupleHash; the response
  // record carries both). Two requests share it only if their tuples hash alike (2^-64)
  // and they were seen in the same nanosecond.
  struct Key {
    uint64_t ts_ns;
    uint64_t tag;
    bool operator==(const Key& o) const { return ts_ns == o.ts_ns && tag == o.tag; }
    template <typename H>
    friend H AbslHashValue(H h, const Key& k) {
      return H::combine(std::move(h), k.ts_ns, k.tag);
    }
  };
  // A response read before its request.
  struct Held {
    uint16_t status;
    uint64_t latency_ns;
  };
  // Drops `order`'s keys that `live` no longer holds once they outnumber the live ones
  // (keeps an order within a constant factor of its map).
  template <typename Map>
  static void Compact(const Map& live, std::deque<Key>* order);

  uint64_t timeout_ns_;
  size_t max_;
  absl::flat_hash_map<Key, Request> pending_;
  // Keys in arrival order, for expiry and for giving up the oldest; a key whose request
  // has completed stays until it reaches the front (or Compact). Arrival order is time
  // order up to the time by which the rings of different CPUs are read apart (one drain),
  // so a request may expire that much late.
  std::deque<Key> order_;
  absl::flat_hash_map<Key, Held> held_;
  std::deque<Key> held_order_;  // held_'s keys in arrival order (as order_ is pending_'s).
  uint64_t unmatched_ = 0;
};

}  // namespace paddock::http_sampler
