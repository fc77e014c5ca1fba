// One running generation of a plugin: its process, descriptors, runtime directory and
// client channel. Owned by the Supervisor and touched only on the event-loop thread, except
// `client`, which is thread-safe and shared with callers through the Router.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "host/event_loop.h"
#include "host/log_capture.h"
#include "host/plugin_client.h"
#include "host/router.h"
#include "paddock/fd.h"
#include "sandbox/cgroup.h"
#include "sandbox/launcher.h"
#include "sandbox/seccomp.h"

namespace paddock::host {

enum class InstancePhase {
  kStarting,  // Spawned; waiting for BootstrapReply and the first health check.
  kServing,   // Healthy; may be the routed generation.
  kDraining,  // Replaced by a newer generation; finishing in-flight calls.
  kStopping,  // Asked to exit; SIGKILL follows after the grace period.
  kExited,    // Reaped; waiting to be cleaned up.
};

struct Instance {
  std::string id;      // "<name>-g<generation>-<random>", unique per host run.
  std::string plugin;  // Plugin name.
  uint64_t generation = 0;
  std::string identity;  // SAN of its certificate.
  std::string image_sha256;
  InstancePhase phase = InstancePhase::kStarting;

  pid_t pid = -1;
  UniqueFd pidfd;
  UniqueFd bootstrap;  // Host end of the fd-3 socketpair.
  UniqueFd out, err;   // Host ends of the stdout/stderr pipes (non-blocking).
  std::unique_ptr<LogSink> out_log, err_log;  // Made by the supervisor at the first read.

  std::string runtime_dir;               // Host path, removed when the instance is cleaned up.
  std::string socket_path;               // Host path of its gRPC socket.
  std::shared_ptr<PluginClient> client;  // Set once the plugin reported ready.
  std::shared_ptr<const Route> route;    // Set once it serves; counts the host's calls.
  uint64_t config_version = 0;           // Config snapshot version it has in force.
  // Confinement (null/empty when unconfined). The cgroup outlives the process: its
  // destructor kills stragglers and removes the directories.
  std::unique_ptr<sandbox::InstanceCgroup> cgroup;
  std::unique_ptr<sandbox::ViolationMonitor> violations;
  sandbox::Confinement confinement;

  absl::Time spawned_at;
  absl::Time serving_since;
  int health_failures = 0;
  bool health_probe_inflight = false;
  bool kill_sent = false;  // The host SIGKILLed it; `failure` says why.
  EventLoop::TimerId start_timer = 0;
  EventLoop::TimerId health_timer = 0;
  EventLoop::TimerId kill_timer = 0;
  std::string exit_reason;  // Set when reaped: "exited with status 1", "killed by SIGKILL", ...
  std::string failure;      // Why the host gave up on it (never healthy, health checks failed).
};

}  // namespace paddock::host
