// What a plugin asks for (its manifest's sandbox request) against what the host config
// grants it. Fail closed: anything asked beyond the grant refuses the plugin.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "paddock/v1/host_config.pb.h"
#include "paddock/v1/manifest.pb.h"

namespace paddock::host {

// What a request of 0 gets, capped by the grant's maximum.
inline constexpr uint64_t kDefaultMemoryBytes = uint64_t{128} << 20;
inline constexpr uint32_t kDefaultCpuMillis = 500;
inline constexpr uint32_t kDefaultPids = 32;

// A socket the host pre-opens for the plugin, with the address it binds.
struct ResolvedSocket {
  paddock::v1::SocketRequest request;
  // plugins."<name>".sockets["<socket>"] from the host config, else the request's
  // default_address. Always parseable by ParseSocketAddress.
  std::string address;
};

// The confinement a plugin gets: its request, with defaults filled, within its grant.
struct EffectiveSandbox {
  uint64_t memory_bytes = 0;  // Never 0.
  uint32_t cpu_millis = 0;    // Never 0.
  uint32_t pids = 0;          // Never 0.
  bool network_host = false;
  std::vector<std::string> capabilities;    // CAP_* names, in the manifest's order.
  std::vector<std::string> syscall_groups;  // In the manifest's order.
  bool data_dir = false;
  std::vector<ResolvedSocket> sockets;  // In the manifest's order.
};

// Resolves `m`'s request against its grant: plugins."<name>".grant when the plugin has a
// settings entry with a grant, else config.default_grant (defaults filled by
// ParseHostConfig). A request of 0 takes kDefault* capped by the grant's maximum.
// Returns PermissionDenied listing everything asked beyond the grant, each naming where to
// grant it: "requests capability CAP_BPF, which the host config does not grant (grant it
// in plugins.\"hello\".grant.capabilities)". Returns FailedPrecondition when the config
// cannot serve the request (a socket without any address, a socket address configured
// for a socket the plugin does not ask for, a grant whose maxima are 0).
absl::StatusOr<EffectiveSandbox> ResolveGrant(const paddock::v1::PluginManifest& m,
                                              const paddock::v1::HostConfig& config);

}  // namespace paddock::host
