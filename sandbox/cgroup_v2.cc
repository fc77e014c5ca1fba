// cgroup v2 (unified hierarchy): memory.max + memory.swap.max, cpu.max, pids.max;
// memory.current, memory.events, cpu.stat, pids.current; cgroup.kill.
#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "sandbox/cgroup_backend.h"

namespace paddock::sandbox::cgroup_backend {

absl::StatusOr<std::vector<std::string>> V2Available(CgroupFs& fs, const std::string& dir) {
  absl::StatusOr<std::string> text = fs.Read(dir + "/cgroup.controllers");
  if (!text.ok()) return text.status();
  return std::vector<std::string>(absl::StrSplit(*text, absl::ByAnyChar(" \n"), absl::SkipEmpty()));
}

absl::Status V2EnableForChildren(CgroupFs& fs, const std::string& dir,
                                 const std::vector<std::string>& controllers) {
  std::string file = dir + "/cgroup.subtree_control";
  absl::StatusOr<std::string> enabled = fs.Read(file);
  if (!enabled.ok()) return enabled.status();
  std::vector<std::string> have =
      absl::StrSplit(*enabled, absl::ByAnyChar(" \n"), absl::SkipEmpty());
  for (const std::string& c : controllers) {
    if (std::find(have.begin(), have.end(), c) != have.end()) continue;
    absl::Status s = fs.Write(file, "+" + c);
    if (!s.ok()) {
      // EBUSY here is the "no internal processes" rule: `dir` holds tasks itself.
      return absl::FailedPreconditionError(absl::StrCat(
          s.message(), " (cgroup v2 only lets a cgroup without tasks of its own enable ",
          "controllers for its children: run paddockd in a delegated cgroup whose own tasks ",
          "live in a leaf)"));
    }
  }
  return absl::OkStatus();
}

absl::Status V2VacateForChildren(CgroupFs& fs, const std::string& dir, const std::string& leaf,
                                 const std::vector<std::string>& controllers, pid_t self) {
  absl::StatusOr<std::string> enabled = fs.Read(dir + "/cgroup.subtree_control");
  if (!enabled.ok()) return enabled.status();
  std::vector<std::string> have =
      absl::StrSplit(*enabled, absl::ByAnyChar(" \n"), absl::SkipEmpty());
  bool missing = std::any_of(controllers.begin(), controllers.end(), [&](const std::string& c) {
    return std::find(have.begin(), have.end(), c) == have.end();
  });
  if (!missing) return absl::OkStatus();
  // Unreadable: nothing to vacate that we know of; the enable that follows reports why.
  absl::StatusOr<std::string> procs = fs.Read(dir + "/cgroup.procs");
  if (!procs.ok()) return absl::OkStatus();
  std::vector<std::string> pids = absl::StrSplit(*procs, absl::ByAnyChar(" \n"), absl::SkipEmpty());
  std::string me = absl::StrCat(self);
  if (std::find(pids.begin(), pids.end(), me) == pids.end()) return absl::OkStatus();
  std::string target = dir + "/" + leaf;
  if (absl::Status s = fs.MakeDir(target); !s.ok()) return s;
  return fs.Write(target + "/cgroup.procs", me);
}

absl::Status V2ApplyLimits(CgroupFs& fs, const std::string& dir, const std::string& controller,
                           const CgroupLimits& limits) {
  if (controller == "memory") {
    std::string max = limits.memory_bytes ? absl::StrCat(limits.memory_bytes) : "max";
    if (absl::Status s = fs.Write(dir + "/memory.max", max); !s.ok()) return s;
    // memory.swap.max exists only with swap accounting; without it there is no swap to limit.
    if (limits.memory_bytes && fs.Exists(dir + "/memory.swap.max")) {
      return fs.Write(dir + "/memory.swap.max", "0");
    }
    return absl::OkStatus();
  }
  if (controller == "cpu") {
    std::string quota =
        limits.cpu_millis ? absl::StrCat(uint64_t{limits.cpu_millis} * kCpuPeriodUs / 1000) : "max";
    if (absl::Status s = fs.Write(dir + "/cpu.max", absl::StrCat(quota, " ", kCpuPeriodUs));
        !s.ok()) {
      return s;
    }
    // Burst of one quota (Linux 5.14+), written after the quota: see kCpuBurstNote.
    if (limits.cpu_millis && fs.Exists(dir + "/cpu.max.burst")) {
      return fs.Write(dir + "/cpu.max.burst", quota);
    }
    return absl::OkStatus();
  }
  if (controller == "pids") {
    return fs.Write(dir + "/pids.max", limits.pids ? absl::StrCat(limits.pids) : "max");
  }
  return absl::OkStatus();
}

absl::Status V2AddUsage(CgroupFs& fs, const std::string& dir, const std::string& controller,
                        InstanceCgroup::Usage* usage) {
  if (controller == "memory") {
    absl::StatusOr<uint64_t> current = ReadNumber(fs, dir + "/memory.current");
    if (!current.ok()) return current.status();
    absl::StatusOr<uint64_t> ooms = ReadKeyed(fs, dir + "/memory.events", "oom_kill");
    if (!ooms.ok()) return ooms.status();
    usage->memory_current = *current;
    usage->oom_kills = *ooms;
  } else if (controller == "cpu") {
    absl::StatusOr<uint64_t> usec = ReadKeyed(fs, dir + "/cpu.stat", "usage_usec");
    if (!usec.ok()) return usec.status();
    usage->cpu_usage_ns = *usec * 1000;
    // nr_throttled appears only once the cpu controller is enabled for the group.
    absl::StatusOr<uint64_t> throttled = ReadKeyed(fs, dir + "/cpu.stat", "nr_throttled");
    usage->cpu_throttled = throttled.ok() ? *throttled : 0;
  } else if (controller == "pids") {
    absl::StatusOr<uint64_t> current = ReadNumber(fs, dir + "/pids.current");
    if (!current.ok()) return current.status();
    usage->pids_current = *current;
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> V2Kill(CgroupFs& fs, const std::string& dir) {
  std::string file = dir + "/cgroup.kill";
  if (!fs.Exists(file)) return false;
  if (absl::Status s = fs.Write(file, "1"); !s.ok()) return s;
  return true;
}

}  // namespace paddock::sandbox::cgroup_backend
