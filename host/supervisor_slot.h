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
  std::string path;  // The binary's path in a plugin directory.
  // Sockets held across generations, by name, with their descriptions ("udp 1.2.3.4:5").
  std::map<std::string, UniqueFd> socket_fds;
  std::map<std::string, std::string> socket_desc;
  std::map<std::string, std::string> socket_address;  // As configured ("127.0.0.1:0").
  // A hot reload in flight: the new generation (starting or soaking) and what it runs.
  std::unique_ptr<Instance> next;
  std::shared_ptr<const PluginImage> next_image;
  std::optional<EffectiveSandbox> next_sandbox;
  std::shared_ptr<const MethodCatalog> next_catalog;
  absl::Time reload_started;
  std::vector<ReloadDone> reload_done;   // Callers waiting for the reload in flight.
  const Instance* reload_old = nullptr;  // The generation a flip retired; done when it exits.
  bool reload_again = false;             // The file changed again during the reload.
  // A replaced binary waiting for SIGUSR2 (reload.mode ON_SIGNAL).
  std::shared_ptr<const PluginImage> pending_image;
  std::vector<Waiter> waiters;
  paddock::v1::ReloadOutcome last_reload;
  uint64_t config_version_in_force = 0;
  uid_t uid = 0;  // Unprivileged identity of this plugin (confined only).
  gid_t gid = 0;
  uint64_t oom_kills = 0;
  std::map<std::string, paddock::v1::PolicyViolation> violations;  // By syscall name.
};

}  // namespace paddock::host
