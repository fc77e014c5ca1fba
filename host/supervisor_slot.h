// Internal to the supervisor: what it keeps per plugin. Loop thread only.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "host/supervisor.h"

namespace paddock::host {

struct Supervisor::Slot {
  std::string name;
  std::shared_ptr<const PluginImage> image;
  std::shared_ptr<const MethodCatalog> catalog;
  std::optional<EffectiveSandbox> sandbox;
  std::string refusal;               // Why the plugin may not run (grant, descriptors, sockets).
  bool wanted = false;               // The operator wants it running.
  bool parked = false;               // Crash loop: waits for start/restart.
  std::unique_ptr<Instance> active;  // The routed (or starting) generation.
  std::vector<std::unique_ptr<Instance>> retiring;  // Stopping or draining generations.
  std::unique_ptr<RestartTracker> restarts;
  EventLoop::TimerId backoff_timer = 0;
  EventLoop::TimerId stable_timer = 0;
  absl::Time backoff_until;
  uint64_t last_generation = 0;
  std::string error;      // Current problem, shown by list/status.
  std::string last_exit;  // How the last instance ended.
  std::shared_ptr<LogRing> logs;
  std::vector<UniqueFd> socket_fds;  // Held across generations.
  std::vector<HeldSocket> sockets;   // Views of socket_fds with names.
  std::vector<Waiter> waiters;
  paddock::v1::ReloadOutcome last_reload;
  uint64_t config_version_in_force = 0;
  uid_t uid = 0;  // Unprivileged identity of this plugin (confined only).
  gid_t gid = 0;
  uint64_t oom_kills = 0;
  std::map<std::string, paddock::v1::PolicyViolation> violations;  // By syscall name.
};

}  // namespace paddock::host
