// Makes one plugin instance: credentials, runtime directory, descriptors, the launch through
// the sandbox, and the bootstrap message on fd 3. The raw process work lives in
// sandbox::Launch; this file decides what to hand it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "host/certs.h"
#include "host/grant.h"
#include "host/instance.h"
#include "host/plugin_client.h"
#include "host/plugin_image.h"
#include "paddock/v1/bootstrap.pb.h"
#include "paddock/v1/host_config.pb.h"
#include "sandbox/cgroup.h"

namespace paddock::host {

// A socket the host holds for a plugin across its generations.
struct HeldSocket {
  std::string name;
  std::string description;  // "udp 127.0.0.1:5514"
  int fd = -1;              // Owned by the supervisor's slot, not by the request.
};

struct SpawnRequest {
  std::shared_ptr<const PluginImage> image;
  uint64_t generation = 0;
  const EffectiveSandbox* sandbox = nullptr;
  paddock::v1::ConfigSnapshot config;
  std::vector<HeldSocket> sockets;
  std::string runtime_root;  // HostConfig.runtime_dir
  std::string data_root;     // HostConfig.data_dir
  bool unconfined = true;
  // Confined only: the host's cgroup manager and the plugin's identity.
  sandbox::CgroupManager* cgroups = nullptr;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string log_level = "info";
};

// Spawns the instance and writes its bootstrap. The returned instance is in phase
// kStarting; the caller watches its descriptors. On error nothing is left running and the
// runtime directory is removed. Call on the event-loop thread (see sandbox::Launch).
absl::StatusOr<std::unique_ptr<Instance>> SpawnInstance(const SpawnRequest& req,
                                                        const CertificateAuthority& ca);

// Removes an instance's runtime directory tree. Errors are ignored (best effort).
void RemoveRuntimeDir(const std::string& dir);

}  // namespace paddock::host
