// The plugin's settings, parsed and validated from its config section (GcounterConfig in
// gcounter.proto). An invalid config is rejected as a whole with the reason.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dns.h"
#include "gcounter.pb.h"
#include "peer_addr.h"
#include "replica.h"

namespace paddock::gcounter {

struct Settings {
  EngineOptions engine;
  std::vector<std::string> keys;  // Raw key bytes; empty: gossip off.
  std::vector<PeerAddr> peers;
  std::optional<DnsPeers::Options> dns;
  int64_t interval_ns = 10'000'000;
  bool fast = false;  // Durability mode.
  int64_t fast_sync_interval_ns = 100'000'000;
  int64_t checkpoint_interval_ns = 60'000'000'000;
};

// Parses `config`. Reads cluster_key_file if set (relative to nothing: an absolute path
// inside the sandbox). InvalidArgument names the offending field.
absl::StatusOr<Settings> ParseSettings(const v1::GcounterConfig& config);

}  // namespace paddock::gcounter
