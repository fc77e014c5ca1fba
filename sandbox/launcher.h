// Starts a plugin process and confines it. The launcher is the only place that forks: it
// clones the child (with the namespaces the policy asks for), applies each confinement
// step in a fixed order, and execs the sealed image. If any step fails the child exits
// before running a single instruction of plugin code, and the parent gets the failed step
// and errno back over a close-on-exec pipe (fail closed).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "paddock/fd.h"
#include "sandbox/policy.h"

namespace paddock::sandbox {

// A descriptor the child receives at a fixed number (e.g. the bootstrap socket at 3).
struct FdMapping {
  UniqueFd fd;      // Owned by the mapping; closed in the parent after the launch.
  int target = -1;  // Descriptor number in the child.
};

// Everything needed to start one plugin instance.
struct LaunchSpec {
  // Executable image: a sealed memfd holding the exact bytes the host validated. Not owned;
  // must stay open until Launch returns. Executed with execveat(AT_EMPTY_PATH).
  int exec_fd = -1;
  // argv; argv[0] is the plugin name.
  std::vector<std::string> argv;
  // The complete environment (the child inherits nothing else).
  std::vector<std::string> env;
  // Descriptors the child gets, without close-on-exec; everything else is closed in the
  // child. Targets are distinct, in [0, 1023]; a source may sit on another's target.
  // 0, 1 and 2 get /dev/null when no mapping targets them.
  std::vector<FdMapping> fds;
  // Confinement to apply.
  Policy policy;
};

// The confinement actually applied to a child (for `paddockctl status`).
struct Confinement {
  bool enabled = false;
  std::vector<std::string> namespaces;  // e.g. {"mnt", "pid", "ipc", "uts", "net", "cgroup"}.
  std::string root;                     // Host path of the root's mount point.
  std::vector<std::string> mounts;      // e.g. {"/ tmpfs (ro)", "/run (rw)", ...}.
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<std::string> capabilities;  // e.g. {"CAP_BPF"}.
  std::string seccomp_mode = "disabled";  // "filter" or "disabled".
  std::vector<std::string> seccomp_groups;
  std::vector<std::string> cgroup_dirs;
};

// A started child. The pidfd is the owner: exit is observed through it (poll for POLLIN,
// then waitid(P_PIDFD)), signals go through pidfd_send_signal. With a confined policy
// the child is pid 1 of its own pid namespace: it ignores signals it has no handler for
// (SIGKILL always works), and its death kills every process of the namespace.
struct Child {
  pid_t pid = -1;  // Pid in the host's pid namespace.
  UniqueFd pidfd;  // CLOEXEC pidfd of the child.
  // seccomp user-notification listener (confined only): hand it to a ViolationMonitor
  // (seccomp.h) and poll it, or the plugin's threads block in denied syscalls.
  UniqueFd seccomp_listener;
  Confinement confinement;
};

// Launches the child described by `spec`. Returns the child once it has exec'd the image
// (the error pipe closed on exec; a child killed before it could report looks the same
// and shows up as an early exit on the pidfd), or an error naming the step that failed,
// e.g. "launch: execveat: Exec format error (ENOEXEC)"; in that case the child has already
// been reaped. A malformed spec gives InvalidArgument and starts nothing. Must be called from a
// thread that lives as long as the child should (PR_SET_PDEATHSIG fires when the spawning thread
// exits): paddockd calls it from its main event-loop thread.
absl::StatusOr<Child> Launch(LaunchSpec spec);

}  // namespace paddock::sandbox
