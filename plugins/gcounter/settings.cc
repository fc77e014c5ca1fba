#include "settings.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "auth.h"

namespace paddock::gcounter {
namespace {

absl::Status Field(std::string_view field, const absl::Status& s) {
  return absl::InvalidArgumentError(
      absl::StrCat(absl::string_view(field.data(), field.size()), ": ", s.message()));
}

}  // namespace

absl::StatusOr<Settings> ParseSettings(const v1::GcounterConfig& c) {
  Settings s;
  for (int i = 0; i < c.cluster_keys_size(); ++i) {
    absl::StatusOr<std::string> key = ParseHexKey(c.cluster_keys(i));
    if (!key.ok()) return Field(absl::StrCat("cluster_keys[", i, "]"), key.status());
    s.keys.push_back(std::move(*key));
  }
  if (!c.cluster_key_file().empty()) {
    if (!s.keys.empty()) {
      return absl::InvalidArgumentError("set cluster_keys or cluster_key_file, not both");
    }
    std::ifstream in(c.cluster_key_file());
    if (!in) {
      return absl::InvalidArgumentError(
          absl::StrCat("cluster_key_file: cannot read ", c.cluster_key_file()));
    }
    std::string line;
    while (std::getline(in, line)) {
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
      if (line.empty() || line[0] == '#') continue;
      absl::StatusOr<std::string> key = ParseHexKey(line);
      if (!key.ok()) return Field("cluster_key_file", key.status());
      s.keys.push_back(std::move(*key));
    }
    if (s.keys.empty()) return absl::InvalidArgumentError("cluster_key_file: no key in it");
  }
  for (int i = 0; i < c.peers_size(); ++i) {
    absl::StatusOr<PeerAddr> p = PeerAddr::Parse(c.peers(i));
    if (!p.ok()) return Field(absl::StrCat("peers[", i, "]"), p.status());
    s.peers.push_back(*p);
  }
  if (c.has_dns()) {
    const v1::DnsPeersConfig& d = c.dns();
    DnsPeers::Options o;
    if (absl::Status st = ValidateDnsName(d.name()); !st.ok()) return Field("dns.name", st);
    o.name = d.name();
    if (d.port() < 1 || d.port() > 65535) {
      return absl::InvalidArgumentError("dns.port must be 1-65535");
    }
    o.port = static_cast<uint16_t>(d.port());
    absl::StatusOr<PeerAddr> resolver = PeerAddr::Parse(d.resolver());
    if (!resolver.ok()) return Field("dns.resolver", resolver.status());
    o.resolver = *resolver;
    uint32_t interval = d.interval_ms() == 0 ? 5000 : d.interval_ms();
    if (interval < 100) return absl::InvalidArgumentError("dns.interval_ms must be >= 100");
    o.interval_ns = int64_t{interval} * 1'000'000;
    o.timeout_ns = std::min<int64_t>(o.interval_ns, 2'000'000'000);
    s.dns = o;
  }
  uint32_t interval = c.interval_ms() == 0 ? 10 : c.interval_ms();
  if (interval > 60000) return absl::InvalidArgumentError("interval_ms must be 1-60000");
  s.interval_ns = int64_t{interval} * 1'000'000;
  if (c.fanout() != 0) s.engine.fanout = c.fanout();
  if (c.max_packet_bytes() != 0) s.engine.max_packet_bytes = c.max_packet_bytes();
  s.engine.retransmit_limit = c.retransmit_limit();
  s.engine.idle_fanout = c.idle_fanout();
  s.engine.push_limit = c.push_limit();
  if (c.max_counters() != 0) s.engine.max_counters = c.max_counters();
  if (c.recent_window_ms() != 0)
    s.engine.recent_window_ns = int64_t{c.recent_window_ms()} * 1'000'000;
  if (absl::Status st = ValidateOptions(s.engine); !st.ok()) return st;
  if (c.durability().empty() || c.durability() == "fsync") {
    s.fast = false;
  } else if (c.durability() == "fast") {
    s.fast = true;
  } else {
    return absl::InvalidArgumentError("durability must be \"fsync\" or \"fast\"");
  }
  uint32_t fast_sync = c.fast_sync_interval_ms() == 0 ? 100 : c.fast_sync_interval_ms();
  s.fast_sync_interval_ns = int64_t{fast_sync} * 1'000'000;
  uint32_t checkpoint = c.checkpoint_interval_ms() == 0 ? 60000 : c.checkpoint_interval_ms();
  if (checkpoint < 1000)
    return absl::InvalidArgumentError("checkpoint_interval_ms must be >= 1000");
  s.checkpoint_interval_ns = int64_t{checkpoint} * 1'000'000;
  return s;
}

}  // namespace paddock::gcounter
