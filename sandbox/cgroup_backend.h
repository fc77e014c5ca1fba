// Internal to cgroup.cc: the per-version file formats. cgroup_v2.cc knows the unified
// hierarchy's files, cgroup_v1.cc the legacy ones; both speak through CgroupFs.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sandbox/cgroup.h"
#include "sandbox/cgroup_fs.h"
#include "sandbox/policy.h"

namespace paddock::sandbox::cgroup_backend {

// CPU quota period, in microseconds (both versions).
inline constexpr uint64_t kCpuPeriodUs = 100000;

// kCpuBurstNote: a CPU-limited instance also gets a burst of one quota (cpu.cfs_burst_us
// in v1, cpu.max.burst in v2). Over any long run it still gets no more than its quota:
// a burst only spends quota it left unused in earlier periods. It matters at start:
// a plugin's start (loader, gRPC, TLS) costs ~20-25 ms of CPU, as much as a whole
// 200-millicpu quota, so without a burst hello's start was often throttled until the
// next period (2 of 8 starts, +23 and +45 ms, per the instance's cpu.stat). Writing
// the burst after the quota refills the fresh group's runtime once more (the kernel
// refills on every bandwidth change, capped at quota + burst), so the first period has
// two quotas to start with.

// Shared parsing. "key value" lines -> value of `key`; NotFound when absent.
absl::StatusOr<uint64_t> ReadKeyed(CgroupFs& fs, const std::string& file, std::string_view key);
absl::StatusOr<uint64_t> ReadNumber(CgroupFs& fs, const std::string& file);
absl::StatusOr<std::vector<pid_t>> ReadProcs(CgroupFs& fs, const std::string& dir);

// v2: controllers listed in <dir>/cgroup.controllers.
absl::StatusOr<std::vector<std::string>> V2Available(CgroupFs& fs, const std::string& dir);
// v2: makes `controllers` available to the children of `dir` (cgroup.subtree_control).
absl::Status V2EnableForChildren(CgroupFs& fs, const std::string& dir,
                                 const std::vector<std::string>& controllers);
// v2 "no internal processes" rule: a non-root cgroup that holds tasks cannot enable
// controllers for its children. When `dir` (the host's own cgroup, delegated to it: e.g.
// paddockd.service under systemd's Delegate=yes) lacks some of `controllers` in its
// subtree_control and `self` is one of its tasks, moves `self` into the leaf <dir>/<leaf>
// (created), so that `dir` may enable them if `self` was its only task. Other tasks are
// never moved (they are not ours: a shell's session, a container's init). No-op otherwise.
absl::Status V2VacateForChildren(CgroupFs& fs, const std::string& dir, const std::string& leaf,
                                 const std::vector<std::string>& controllers, pid_t self);
absl::Status V2ApplyLimits(CgroupFs& fs, const std::string& dir, const std::string& controller,
                           const CgroupLimits& limits);
absl::Status V2AddUsage(CgroupFs& fs, const std::string& dir, const std::string& controller,
                        InstanceCgroup::Usage* usage);
// v2: cgroup.kill (Linux 5.14); false when the file is missing (caller falls back).
absl::StatusOr<bool> V2Kill(CgroupFs& fs, const std::string& dir);

// v1.
absl::Status V1ApplyLimits(CgroupFs& fs, const std::string& dir, const std::string& controller,
                           const CgroupLimits& limits);
absl::Status V1AddUsage(CgroupFs& fs, const std::string& dir, const std::string& controller,
                        InstanceCgroup::Usage* usage);
// v1 cpu with CONFIG_RT_GROUP_SCHED: raises the parent of `dir` (the host's subtree) to the
// sum of its children's cpu.rt_runtime_us plus `us`, then gives `dir` `us`. Best effort (the
// kernel refuses a parent beyond its own parent's room); errors are ignored.
void V1GrantRtBudget(CgroupFs& fs, const std::string& dir, uint32_t us);
// Lowers `parent`'s cpu.rt_runtime_us to what its remaining children hold. Best effort.
void V1ShrinkRtBudget(CgroupFs& fs, const std::string& parent);
// v1 freezer: freezes (waiting until FROZEN, bounded) or thaws the group.
absl::Status V1Freeze(CgroupFs& fs, const std::string& dir, bool frozen);

}  // namespace paddock::sandbox::cgroup_backend
