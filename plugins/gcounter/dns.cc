#include "dns.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "wire.h"

namespace paddock::gcounter {
namespace {

constexpr uint16_t kClassIn = 1;
constexpr uint16_t kTypeCname = 5;

void PutU16(std::string* out, uint16_t v) {
  out->push_back(static_cast<char>(v >> 8));
  out->push_back(static_cast<char>(v & 0xff));
}

// Big-endian reads with bounds checks.
bool GetU16(std::string_view p, size_t at, uint16_t* v) {
  if (at + 2 > p.size()) return false;
  *v = static_cast<uint16_t>((static_cast<uint8_t>(p[at]) << 8) | static_cast<uint8_t>(p[at + 1]));
  return true;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

// Reads a (possibly compressed) name starting at `*pos`; advances *pos past it in the
// record. Follows at most 32 pointers, each strictly backwards (no loops).
bool ReadName(std::string_view p, size_t* pos, std::string* name) {
  name->clear();
  size_t at = *pos;
  bool jumped = false;
  int jumps = 0;
  for (;;) {
    if (at >= p.size()) return false;
    uint8_t len = static_cast<uint8_t>(p[at]);
    if ((len & 0xc0) == 0xc0) {
      if (at + 1 >= p.size() || ++jumps > 32) return false;
      size_t target = ((len & 0x3f) << 8) | static_cast<uint8_t>(p[at + 1]);
      if (target >= at) return false;
      if (!jumped) *pos = at + 2;
      jumped = true;
      at = target;
      continue;
    }
    if (len & 0xc0) return false;
    if (len == 0) {
      if (!jumped) *pos = at + 1;
      return true;
    }
    if (at + 1 + len > p.size() || name->size() + len + 1 > 255) return false;
    if (!name->empty()) name->push_back('.');
    name->append(p.data() + at + 1, len);
    at += 1 + len;
  }
}

}  // namespace

absl::Status ValidateDnsName(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > 253) {
    return absl::InvalidArgumentError("DNS name must be 1-253 bytes");
  }
  size_t start = 0;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string_view::npos) dot = name.size();
    size_t len = dot - start;
    if (len < 1 || len > 63) return absl::InvalidArgumentError("DNS label must be 1-63 bytes");
    for (size_t i = start; i < dot; ++i) {
      char c = name[i];
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') {
        return absl::InvalidArgumentError("DNS name has a character outside [A-Za-z0-9-_.]");
      }
    }
    start = dot + 1;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> EncodeDnsQuery(uint16_t id, std::string_view name, uint16_t qtype) {
  if (absl::Status s = ValidateDnsName(name); !s.ok()) return s;
  std::string q;
  PutU16(&q, id);
  PutU16(&q, 0x0100);  // RD.
  PutU16(&q, 1);       // QDCOUNT.
  PutU16(&q, 0);
  PutU16(&q, 0);
  PutU16(&q, 0);
  std::string n(name);
  if (!n.empty() && n.back() == '.') n.pop_back();
  size_t start = 0;
  while (start <= n.size()) {
    size_t dot = n.find('.', start);
    if (dot == std::string::npos) dot = n.size();
    q.push_back(static_cast<char>(dot - start));
    q.append(n, start, dot - start);
    start = dot + 1;
  }
  q.push_back(0);
  PutU16(&q, qtype);
  PutU16(&q, kClassIn);
  return q;
}

absl::StatusOr<std::vector<PeerAddr>> ParseDnsResponse(std::string_view p, uint16_t id,
                                                       std::string_view name, uint16_t qtype,
                                                       uint16_t port) {
  auto bad = [](std::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("DNS response: ", absl::string_view(why.data(), why.size())));
  };
  uint16_t rid, flags, qd, an;
  if (!GetU16(p, 0, &rid) || !GetU16(p, 2, &flags) || !GetU16(p, 4, &qd) || !GetU16(p, 6, &an)) {
    return bad("shorter than a header");
  }
  if (rid != id) return bad("id does not match");
  if ((flags & 0x8000) == 0) return bad("not a response");
  if (flags & 0x0200) return bad("truncated (TC)");
  int rcode = flags & 0x000f;
  if (rcode == 3)
    return absl::NotFoundError(absl::StrCat("DNS: ", std::string(name), " does not exist"));
  if (rcode != 0) return bad(absl::StrCat("rcode ", rcode));
  if (qd != 1) return bad("question count is not 1");
  size_t pos = 12;
  std::string qname;
  uint16_t qt, qc;
  if (!ReadName(p, &pos, &qname) || !GetU16(p, pos, &qt) || !GetU16(p, pos + 2, &qc)) {
    return bad("malformed question");
  }
  pos += 4;
  std::string want = Lower(name);
  if (Lower(qname) != want || qt != qtype || qc != kClassIn) return bad("question does not match");
  // Names that lead to the addresses: the query name and the CNAME targets from it.
  std::vector<std::string> aliases = {want};
  std::vector<PeerAddr> out;
  for (uint16_t i = 0; i < an; ++i) {
    std::string owner;
    uint16_t type, cls, rdlen;
    if (!ReadName(p, &pos, &owner) || !GetU16(p, pos, &type) || !GetU16(p, pos + 2, &cls) ||
        !GetU16(p, pos + 8, &rdlen)) {
      return bad("malformed answer");
    }
    pos += 10;
    if (pos + rdlen > p.size()) return bad("answer data beyond the packet");
    bool ours = std::find(aliases.begin(), aliases.end(), Lower(owner)) != aliases.end();
    if (ours && cls == kClassIn) {
      if (type == kTypeCname) {
        size_t at = pos;
        std::string target;
        if (!ReadName(p, &at, &target)) return bad("malformed CNAME");
        aliases.push_back(Lower(target));
      } else if (type == qtype && type == kDnsTypeA && rdlen == 4) {
        PeerAddr a;
        a.family = AF_INET;
        std::memcpy(a.ip.data(), p.data() + pos, 4);
        a.port = port;
        out.push_back(a);
      } else if (type == qtype && type == kDnsTypeAaaa && rdlen == 16) {
        PeerAddr a;
        a.family = AF_INET6;
        std::memcpy(a.ip.data(), p.data() + pos, 16);
        a.port = port;
        out.push_back(a);
      }
    }
    pos += rdlen;
  }
  return out;
}

DnsPeers::DnsPeers(Options options, uint64_t seed) : options_(std::move(options)), rng_(seed) {}

void DnsPeers::Poll(int64_t now_ns, std::vector<Datagram>* out) {
  if (in_flight_ && now_ns >= deadline_ns_) {
    ++failures_;
    last_error_ = "no answer from the resolver within the timeout";
    in_flight_ = false;
  }
  if (in_flight_ || now_ns < next_ns_) return;
  next_ns_ = now_ns + options_.interval_ns;
  deadline_ns_ = now_ns + options_.timeout_ns;
  std::uniform_int_distribution<uint32_t> id(0, 0xffff);
  id_a_ = static_cast<uint16_t>(id(rng_));
  id_aaaa_ = static_cast<uint16_t>(id(rng_));
  got_a_ = got_aaaa_ = false;
  pending_.clear();
  for (auto [qid, type] : {std::pair{id_a_, kDnsTypeA}, std::pair{id_aaaa_, kDnsTypeAaaa}}) {
    absl::StatusOr<std::string> q = EncodeDnsQuery(qid, options_.name, type);
    if (!q.ok()) {
      last_error_ = std::string(q.status().message());
      ++failures_;
      return;
    }
    out->push_back(Datagram{options_.resolver, std::move(*q)});
    ++queries_;
  }
  in_flight_ = true;
}

bool DnsPeers::Handle(const PeerAddr& from, std::string_view packet, int64_t now_ns) {
  if (!(from == options_.resolver)) return false;
  if (!in_flight_) return true;  // Late or unsolicited: dropped.
  uint16_t id = 0;
  if (!GetU16(packet, 0, &id)) return true;
  uint16_t type;
  if (id == id_a_ && !got_a_) {
    type = kDnsTypeA;
  } else if (id == id_aaaa_ && !got_aaaa_) {
    type = kDnsTypeAaaa;
  } else {
    return true;
  }
  absl::StatusOr<std::vector<PeerAddr>> addrs =
      ParseDnsResponse(packet, id, options_.name, type, options_.port);
  if (!addrs.ok() && addrs.status().code() != absl::StatusCode::kNotFound) {
    last_error_ = std::string(addrs.status().message());
    return true;  // Not a usable answer to our query: keep waiting for one.
  }
  (type == kDnsTypeA ? got_a_ : got_aaaa_) = true;
  if (addrs.ok()) {
    pending_.insert(pending_.end(), addrs->begin(), addrs->end());
  } else {
    last_error_ = std::string(addrs.status().message());
  }
  if (got_a_ && got_aaaa_) Finish(now_ns);
  return true;
}

void DnsPeers::Finish(int64_t /*now_ns*/) {
  in_flight_ = false;
  ++answers_;
  std::sort(pending_.begin(), pending_.end(),
            [](const PeerAddr& a, const PeerAddr& b) { return a.Key() < b.Key(); });
  pending_.erase(std::unique(pending_.begin(), pending_.end()), pending_.end());
  if (pending_ != peers_) {
    peers_ = pending_;
    updated_ = true;
  }
}

bool DnsPeers::TakeUpdate() { return std::exchange(updated_, false); }

}  // namespace paddock::gcounter
