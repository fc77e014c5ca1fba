// Per-instance cgroups: memory (swap 0), cpu quota and pids limits, usage and OOM
// counts, kill-all, and cleanup that leaves nothing behind.
//
// Each controller is found where the machine has it: cgroup v2 (unified hierarchy, at
// the root or at <root>/unified in a hybrid layout) when it lists the controller,
// otherwise its v1 hierarchy (<root>/<controller>). The host's subtree lives under the
// host's own cgroup in each hierarchy (from /proc/self/cgroup), as "<own>/<name>", with
// one directory per instance below it. The child joins them itself before exec
// (Policy::cgroup_dirs = InstanceCgroup::dirs(); see cgroup_join.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "sandbox/cgroup_fs.h"
#include "sandbox/policy.h"

namespace paddock::sandbox {

enum class CgroupVersion { kV1, kV2 };

// Where one controller is served.
struct CgroupController {
  std::string name;       // "memory", "cpu", "pids"; v1 extras: "cpuacct", "freezer".
  CgroupVersion version;  // Which backend serves it.
  std::string base;       // The host's subtree in that hierarchy: <mount><own>/<name>.
};

// One instance's cgroups. Destroying it kills every task still in them and removes the
// directories (retrying briefly while the tasks exit). Not thread-safe.
class InstanceCgroup {
 public:
  ~InstanceCgroup();
  InstanceCgroup(const InstanceCgroup&) = delete;
  InstanceCgroup& operator=(const InstanceCgroup&) = delete;

  // Every directory the child must join (one per hierarchy), for Policy::cgroup_dirs.
  std::vector<std::string> dirs() const;
  // "v1:memory:/sys/fs/cgroup/memory/.../paddock/ID" per controller (status displays).
  std::vector<std::string> Describe() const;
  const CgroupLimits& limits() const { return limits_; }

  struct Usage {
    uint64_t memory_current = 0;  // Bytes charged now.
    uint64_t cpu_usage_ns = 0;    // CPU time so far (v1: needs cpuacct, else 0).
    uint64_t cpu_throttled = 0;   // Periods in which the quota throttled the group.
    uint64_t oom_kills = 0;       // Tasks the OOM killer killed inside the group.
    uint64_t pids_current = 0;    // Tasks now.
  };
  // Reads the current usage. Errors name the file that could not be read.
  absl::StatusOr<Usage> ReadUsage() const;

  // Kills every task in the instance: v2 writes cgroup.kill; v1 freezes (when the
  // freezer hierarchy is there), SIGKILLs each task of cgroup.procs and thaws, repeating
  // until the group is empty or `attempts` rounds passed.
  absl::Status KillAll(int attempts = 50);

 private:
  friend class CgroupManager;
  struct Dir {
    std::string controller;
    CgroupVersion version;
    std::string path;
  };
  InstanceCgroup(std::shared_ptr<CgroupFs> fs, std::vector<Dir> dirs, CgroupLimits limits);
  const Dir* Find(std::string_view controller) const;
  absl::StatusOr<std::vector<pid_t>> Tasks() const;
  absl::Status RemoveDirs();

  std::shared_ptr<CgroupFs> fs_;
  std::vector<Dir> dirs_;
  CgroupLimits limits_;
};

struct CgroupOptions {
  std::string root = "/sys/fs/cgroup";
  // The host's subtree name under its own cgroup in each hierarchy.
  std::string name = "paddock";
  // Where the host's own cgroup paths are read from ("ID:CONTROLLERS:PATH" lines).
  std::string self_cgroup = "/proc/self/cgroup";
  // nullptr = the real file system.
  std::shared_ptr<CgroupFs> fs;
};

// One per host. Thread-compatible (CreateInstance from one thread at a time).
class CgroupManager {
 public:
  // Finds memory, cpu and pids (FailedPrecondition naming any that is missing), creates
  // the host's subtree (enabling the v2 controllers for it), and removes instance
  // cgroups a previous host with the same name left behind (killing their tasks).
  static absl::StatusOr<std::unique_ptr<CgroupManager>> Create(CgroupOptions options);
  static absl::StatusOr<std::unique_ptr<CgroupManager>> Create(std::string root, std::string name);
  // Removes the host's (then empty) subtree directories.
  ~CgroupManager();

  // Creates the cgroups of instance `instance_id` ([A-Za-z0-9_.-]{1,128}) with `limits`
  // (0 = unlimited). AlreadyExists if that instance has cgroups already.
  absl::StatusOr<std::unique_ptr<InstanceCgroup>> CreateInstance(std::string_view instance_id,
                                                                 const CgroupLimits& limits);

  // "memory: v1, cpu: v1, pids: v1".
  std::string Describe() const;
  const std::vector<CgroupController>& controllers() const { return controllers_; }

 private:
  CgroupManager(std::shared_ptr<CgroupFs> fs, std::vector<CgroupController> controllers)
      : fs_(std::move(fs)), controllers_(std::move(controllers)) {}
  absl::Status RemoveStale();

  std::shared_ptr<CgroupFs> fs_;
  std::vector<CgroupController> controllers_;
};

}  // namespace paddock::sandbox
