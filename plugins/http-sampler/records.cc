#include "records.h"

#include <arpa/inet.h>
#include <time.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <limits>

namespace paddock::http_sampler {
namespace {

std::string Address(const uint8_t* bytes, uint8_t family) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(family == 4 ? AF_INET : AF_INET6, bytes, buf, sizeof(buf)) == nullptr) return "";
  return buf;
}

// Length (1-4) of the well-formed UTF-8 sequence at p[0, n), 0 if there is none (RFC 3629
// table 3-7: no overlong forms, no surrogates, nothing past U+10FFFF).
size_t Utf8Length(const unsigned char* p, size_t n) {
  unsigned char c = p[0];
  if (c < 0x80) return 1;
  size_t len;
  unsigned char lo = 0x80, hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
  } else {
    return 0;
  }
  if (n < len || p[1] < lo || p[1] > hi) return 0;
  for (size_t i = 2; i < len; ++i) {
    if (p[i] < 0x80 || p[i] > 0xbf) return 0;
  }
  return len;
}

uint64_t ClockNs(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace

Request::Request(const hs_request& header, const char* text) : hs_request(header) {
  std::memcpy(text_, text, size_t{path_len} + host_len);
}

void Request::SetText(absl::string_view path, absl::string_view host) {
  path_len = static_cast<uint16_t>(std::min<size_t>(path.size(), HS_PATH_MAX));
  host_len = static_cast<uint16_t>(std::min<size_t>(host.size(), HS_HOST_MAX));
  std::memcpy(text_, path.data(), path_len);
  std::memcpy(text_ + path_len, host.data(), host_len);
}

// A proto3 string must be valid UTF-8 (a receiver refuses the whole message otherwise).
// Bytes that are not UTF-8 include a character the kernel side cut at the length bound.
std::string Printable(const char* data, size_t n) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  const auto* p = reinterpret_cast<const unsigned char*>(data);
  std::string out;
  out.reserve(n);
  for (size_t i = 0; i < n;) {
    size_t len = Utf8Length(p + i, n - i);
    if (len == 0 || (len == 1 && (p[i] < 0x20 || p[i] == 0x7f))) {
      out += '%';
      out += kHex[p[i] >> 4];
      out += kHex[p[i] & 0xf];
      ++i;
      continue;
    }
    out.append(data + i, len);
    i += len;
  }
  return out;
}

uint64_t TupleHash(const hs_tuple& t) {
  static_assert(sizeof(hs_tuple) == 5 * sizeof(__u64));
  __u64 words[5];
  std::memcpy(words, &t, sizeof(words));
  return hs_tuple_hash(words);
}

uint64_t MonotonicNowNs() { return ClockNs(CLOCK_MONOTONIC); }

int64_t MonoToUnixNs() {
  return static_cast<int64_t>(ClockNs(CLOCK_REALTIME)) -
         static_cast<int64_t>(ClockNs(CLOCK_MONOTONIC));
}

absl::StatusOr<Record> DecodeRecord(const void* data, size_t size) {
  if (data == nullptr || size < 1) return absl::InvalidArgumentError("record: empty");
  const auto* bytes = static_cast<const char*>(data);
  // CheckRecord is the one rule of what a record may hold; decoding only copies it out.
  switch (CheckRecord(data, size)) {
    case HS_KIND_REQUEST: {
      hs_request h;
      std::memcpy(&h, data, sizeof(h));
      return Record(Request(h, bytes + sizeof(h)));
    }
    case HS_KIND_RESPONSE: {
      hs_response r;
      std::memcpy(&r, data, sizeof(r));
      return Record(r);
    }
    default:
      break;
  }
  switch (static_cast<uint8_t>(bytes[0])) {
    case HS_KIND_REQUEST:
      return absl::InvalidArgumentError("record: request size or fields out of range");
    case HS_KIND_RESPONSE:
      return absl::InvalidArgumentError("record: response size or fields out of range");
    default:
      return absl::InvalidArgumentError("record: unknown kind");
  }
}

uint8_t CheckRecord(const void* data, size_t size) {
  if (data == nullptr || size < 1) return 0;
  const auto* bytes = static_cast<const uint8_t*>(data);
  // Fields read by memcpy from their offsets: `data` need not be aligned here.
  auto field = [bytes](size_t offset, auto* out) {
    std::memcpy(out, bytes + offset, sizeof(*out));
  };
  uint8_t family = 0;
  if (bytes[0] == HS_KIND_REQUEST) {
    if (size < sizeof(hs_request) || size > sizeof(hs_request) + HS_TEXT_MAX) return 0;
    uint16_t path_len = 0, host_len = 0;
    field(offsetof(hs_request, path_len), &path_len);
    field(offsetof(hs_request, host_len), &host_len);
    field(offsetof(hs_request, tuple) + offsetof(hs_tuple, family), &family);
    uint8_t method = bytes[offsetof(hs_request, method)];
    bool ok = path_len <= HS_PATH_MAX && host_len <= HS_HOST_MAX &&
              size_t{path_len} + host_len <= size - sizeof(hs_request) &&
              (family == 4 || family == 6) && method >= HS_METHOD_GET && method <= HS_METHOD_PATCH;
    return ok ? HS_KIND_REQUEST : 0;
  }
  if (bytes[0] == HS_KIND_RESPONSE) {
    if (size != sizeof(hs_response)) return 0;
    uint16_t status = 0;
    field(offsetof(hs_response, status), &status);
    return status >= 100 && status <= 599 ? HS_KIND_RESPONSE : 0;
  }
  return 0;
}

std::string MethodName(uint8_t method) {
  switch (method) {
    case HS_METHOD_GET:
      return "GET";
    case HS_METHOD_HEAD:
      return "HEAD";
    case HS_METHOD_POST:
      return "POST";
    case HS_METHOD_PUT:
      return "PUT";
    case HS_METHOD_DELETE:
      return "DELETE";
    case HS_METHOD_CONNECT:
      return "CONNECT";
    case HS_METHOD_OPTIONS:
      return "OPTIONS";
    case HS_METHOD_TRACE:
      return "TRACE";
    case HS_METHOD_PATCH:
      return "PATCH";
    default:
      return "";
  }
}

v1::Sample ToSample(const Completed& c, int64_t mono_to_unix_ns) {
  const Request& r = c.request;
  v1::Sample s;
  s.set_method(MethodName(r.method));
  s.set_path(Printable(r.path().data(), r.path().size()));
  s.set_path_truncated((r.flags & HS_F_PATH_TRUNCATED) != 0);
  s.set_host(Printable(r.host().data(), r.host().size()));
  s.set_host_truncated((r.flags & HS_F_HOST_TRUNCATED) != 0);
  s.set_http_version_seen((r.flags & HS_F_VERSION_SEEN) != 0);
  s.set_client_address(Address(r.tuple.saddr, r.tuple.family));
  s.set_client_port(r.tuple.sport);
  s.set_server_address(Address(r.tuple.daddr, r.tuple.family));
  s.set_server_port(r.tuple.dport);
  s.set_ip_version(r.tuple.family);
  s.set_ifindex(r.ifindex);
  // ts_ns comes from the ring (untrusted like the rest of the record): a sum past int64
  // saturates instead of overflowing (found by tests/fuzz/http_records_fuzz, UBSan).
  int64_t unix_nanos;
  if (r.ts_ns > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
      __builtin_add_overflow(static_cast<int64_t>(r.ts_ns), mono_to_unix_ns, &unix_nanos)) {
    unix_nanos = std::numeric_limits<int64_t>::max();
  }
  s.set_unix_nanos(unix_nanos);
  s.set_status(c.status);
  s.set_latency_us(c.latency_ns / 1000);
  return s;
}

void Joiner::AddRequest(const hs_request& r, const char* text, std::vector<Completed>* out) {
  Key key{r.ts_ns, TupleHash(r.tuple)};
  if (!held_.empty()) {
    // Its response was read first (another CPU's ring): complete it at once.
    auto h = held_.find(key);
    if (h != held_.end()) {
      out->emplace_back(Request(r, text), h->second.status, h->second.latency_ns);
      held_.erase(h);
      return;
    }
  }
  while (!pending_.empty() && pending_.size() >= max_) {
    // Give up the oldest request still pending.
    auto it = pending_.find(order_.front());
    if (it != pending_.end()) {
      out->emplace_back(it->second, 0, 0);
      pending_.erase(it);
    }
    order_.pop_front();
  }
  auto [it, inserted] = pending_.try_emplace(key, r, text);
  if (!inserted) {
    it->second = Request(r, text);  // The same record twice: kept once.
    return;
  }
  order_.push_back(key);
  if (order_.size() > 2 * pending_.size() + 1024) Compact(pending_, &order_);
}

bool Joiner::AddResponse(const hs_response& r, std::vector<Completed>* out) {
  Key key{r.request_ts_ns, r.tag};
  auto it = pending_.find(key);
  if (it != pending_.end()) {
    out->emplace_back(it->second, r.status, r.latency_ns);
    pending_.erase(it);
    return true;
  }
  while (!held_.empty() && held_.size() >= max_) {
    if (held_.erase(held_order_.front()) != 0) ++unmatched_;
    held_order_.pop_front();
  }
  auto [h, inserted] = held_.try_emplace(key, Held{r.status, r.latency_ns});
  if (inserted) {
    held_order_.push_back(key);
    if (held_order_.size() > 2 * held_.size() + 1024) Compact(held_, &held_order_);
  }
  return false;
}

void Joiner::Expire(uint64_t now_ns, std::vector<Completed>* out) {
  while (!order_.empty()) {
    auto it = pending_.find(order_.front());
    if (it != pending_.end()) {
      if (it->first.ts_ns + timeout_ns_ > now_ns) break;
      out->emplace_back(it->second, 0, 0);
      pending_.erase(it);
    }
    order_.pop_front();
  }
  while (!held_order_.empty()) {
    auto it = held_.find(held_order_.front());
    if (it != held_.end()) {
      if (it->first.ts_ns + timeout_ns_ > now_ns) break;
      held_.erase(it);
      ++unmatched_;
    }
    held_order_.pop_front();
  }
}

uint64_t Joiner::NextExpiryNs() const {
  // Arrival order is time order (up to the interleaving of the rings): a front is the
  // oldest key of its map.
  uint64_t at = 0;
  if (!pending_.empty() && !order_.empty()) at = order_.front().ts_ns + timeout_ns_;
  if (!held_.empty() && !held_order_.empty()) {
    uint64_t h = held_order_.front().ts_ns + timeout_ns_;
    if (at == 0 || h < at) at = h;
  }
  if (at == 0 && (!pending_.empty() || !held_.empty())) at = 1;
  return at;
}

void Joiner::Flush(std::vector<Completed>* out) {
  for (const Key& key : order_) {
    auto it = pending_.find(key);
    if (it == pending_.end()) continue;
    out->emplace_back(it->second, 0, 0);
    pending_.erase(it);
  }
  pending_.clear();
  order_.clear();
  unmatched_ += held_.size();
  held_.clear();
  held_order_.clear();
}

template <typename Map>
void Joiner::Compact(const Map& live, std::deque<Key>* order) {
  std::deque<Key> kept;
  for (const Key& key : *order) {
    if (live.contains(key)) kept.push_back(key);
  }
  order->swap(kept);
}

}  // namespace paddock::http_sampler
