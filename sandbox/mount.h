// The plugin's file system view: a fresh tmpfs root holding only mount points, read-only
// bind mounts of what the image needs (loader + libraries, from elf_deps.h), /dev/null,
// /dev/zero and /dev/urandom bound from the host (and, read-only, /sys/kernel/btf/vmlinux
// and /sys/devices/system/cpu/possible when the policy has the "bpf" syscall group: libbpf
// needs them), a fresh /proc for the new
// pid namespace, the caller's binds (the plugin's /run, its data dir), then pivot_root into it with
// the old root detached. The tmpfs itself is remounted read-only at the end.
//
// The plan is computed and validated in the parent (paths, kinds, flags); the child
// only replays it with mkdir/open/mount/pivot_root, which are async-signal-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sandbox/child_result.h"
#include "sandbox/elf_deps.h"
#include "sandbox/policy.h"

namespace paddock::sandbox {

class MountPlan {
 public:
  // Builds the plan for `policy` (root_dir, binds) plus read-only, executable binds of
  // `deps` at their own paths. Returns InvalidArgument when root_dir is not an existing
  // absolute directory, a bind target is not a clean absolute path (no "." or ".."
  // components, not "/"), is under /proc, or is nested in (or equal to) another
  // target, and NotFound when a bind source does not exist.
  static absl::StatusOr<MountPlan> Create(const Policy& policy, const ElfDeps& deps);

  // Child side, async-signal-safe. Must run in a new mount namespace (and, for /proc, in
  // the new pid namespace). Makes every mount private, builds the root under root_dir,
  // pivots into it and detaches the old root; the working directory ends up "/".
  // Failures carry the mount's index in `detail` (see Describe).
  ChildResult ApplyInChild() const;

  // What mount `detail` of a failed ChildResult was, e.g. "/lib/x86_64-linux-gnu/libc.so.6".
  std::string Describe(int detail) const;

  // Targets inside the root, in mount order, with "(ro)"/"(rw)" (for status displays).
  std::vector<std::string> Summary() const;

 private:
  struct Bind {
    std::string source;       // Host path.
    std::string target;       // Path inside the new root (for messages).
    std::string host_target;  // root_dir + target: where the child mounts it.
    unsigned long flags;      // Remount flags (MS_BIND | MS_REMOUNT | MS_RDONLY | ...).
  };

  MountPlan() = default;

  std::string root_;
  std::vector<std::string> dirs_;   // Mount-point directories to create, parents first.
  std::vector<std::string> files_;  // Mount-point files to create (file binds).
  std::vector<Bind> binds_;
  std::string proc_;  // root_ + "/proc".
};

}  // namespace paddock::sandbox
