#include "records.h"

#include <arpa/inet.h>

#include <cstring>

namespace paddock::http_sampler {
namespace {

bool FamilyOk(const hs_tuple& t) { return t.family == 4 || t.family == 6; }

std::string Address(const uint8_t* bytes, uint8_t family) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(family == 4 ? AF_INET : AF_INET6, bytes, buf, sizeof(buf)) == nullptr) return "";
  return buf;
}

}  // namespace

absl::StatusOr<Record> DecodeRecord(const void* data, size_t size) {
  if (data == nullptr || size < 1) return absl::InvalidArgumentError("record: empty");
  uint8_t kind = *static_cast<const uint8_t*>(data);
  if (kind == HS_KIND_REQUEST) {
    if (size != sizeof(hs_request)) return absl::InvalidArgumentError("record: request size");
    hs_request r;
    std::memcpy(&r, data, sizeof(r));
    if (r.path_len > HS_PATH_MAX || r.host_len > HS_HOST_MAX || !FamilyOk(r.tuple) ||
        MethodName(r.method).empty()) {
      return absl::InvalidArgumentError("record: request fields out of range");
    }
    return Record(r);
  }
  if (kind == HS_KIND_RESPONSE) {
    if (size != sizeof(hs_response)) return absl::InvalidArgumentError("record: response size");
    hs_response r;
    std::memcpy(&r, data, sizeof(r));
    if (!FamilyOk(r.tuple) || r.status < 100 || r.status > 599) {
      return absl::InvalidArgumentError("record: response fields out of range");
    }
    return Record(r);
  }
  return absl::InvalidArgumentError("record: unknown kind");
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
  const hs_request& r = c.request;
  v1::Sample s;
  s.set_method(MethodName(r.method));
  s.set_path(std::string(r.path, r.path_len));
  s.set_path_truncated((r.flags & HS_F_PATH_TRUNCATED) != 0);
  s.set_host(std::string(r.host, r.host_len));
  s.set_host_truncated((r.flags & HS_F_HOST_TRUNCATED) != 0);
  s.set_http_version_seen((r.flags & HS_F_VERSION_SEEN) != 0);
  s.set_client_address(Address(r.tuple.saddr, r.tuple.family));
  s.set_client_port(r.tuple.sport);
  s.set_server_address(Address(r.tuple.daddr, r.tuple.family));
  s.set_server_port(r.tuple.dport);
  s.set_ip_version(r.tuple.family);
  s.set_ifindex(r.ifindex);
  s.set_unix_nanos(static_cast<int64_t>(r.ts_ns) + mono_to_unix_ns);
  s.set_status(c.status);
  s.set_latency_us(c.latency_ns / 1000);
  return s;
}

Joiner::Key Joiner::KeyOf(uint64_t ts_ns, const hs_tuple& t) {
  return {ts_ns, std::string(reinterpret_cast<const char*>(&t), sizeof(t))};
}

void Joiner::AddRequest(const hs_request& r, std::vector<Completed>* out) {
  while (!pending_.empty() && pending_.size() >= max_) {
    out->push_back(Completed{pending_.begin()->second, 0, 0});
    pending_.erase(pending_.begin());
  }
  pending_[KeyOf(r.ts_ns, r.tuple)] = r;
}

bool Joiner::AddResponse(const hs_response& r, std::vector<Completed>* out) {
  auto it = pending_.find(KeyOf(r.request_ts_ns, r.tuple));
  if (it == pending_.end()) return false;
  out->push_back(Completed{it->second, r.status, r.latency_ns});
  pending_.erase(it);
  return true;
}

void Joiner::Expire(uint64_t now_ns, std::vector<Completed>* out) {
  while (!pending_.empty()) {
    auto it = pending_.begin();
    if (it->first.first + timeout_ns_ > now_ns) break;
    out->push_back(Completed{it->second, 0, 0});
    pending_.erase(it);
  }
}

void Joiner::Flush(std::vector<Completed>* out) {
  for (auto& [key, req] : pending_) out->push_back(Completed{req, 0, 0});
  pending_.clear();
}

}  // namespace paddock::http_sampler
