// cgroup v1 (legacy hierarchies, one per controller): memory.limit_in_bytes +
// memory.memsw.limit_in_bytes, cpu.cfs_period_us/cpu.cfs_quota_us, pids.max;
// memory.usage_in_bytes, memory.oom_control, cpuacct.usage, cpu.stat, pids.current;
// freezer.state for killing without races. Also the parsing both versions share.
#include <time.h>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "sandbox/cgroup_backend.h"

namespace paddock::sandbox::cgroup_backend {

absl::StatusOr<uint64_t> ReadNumber(CgroupFs& fs, const std::string& file) {
  absl::StatusOr<std::string> text = fs.Read(file);
  if (!text.ok()) return text.status();
  uint64_t value = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &value)) {
    return absl::DataLossError(absl::StrCat("cgroup: ", file, " is not a number"));
  }
  return value;
}

absl::StatusOr<uint64_t> ReadKeyed(CgroupFs& fs, const std::string& file, std::string_view key) {
  absl::StatusOr<std::string> text = fs.Read(file);
  if (!text.ok()) return text.status();
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> kv = absl::StrSplit(line, ' ', absl::SkipEmpty());
    uint64_t value = 0;
    if (kv.size() == 2 && kv[0] == absl::string_view(key.data(), key.size()) &&
        absl::SimpleAtoi(kv[1], &value)) {
      return value;
    }
  }
  return absl::NotFoundError(absl::StrCat("cgroup: no \"", std::string(key), "\" in ", file));
}

absl::StatusOr<std::vector<pid_t>> ReadProcs(CgroupFs& fs, const std::string& dir) {
  std::string file = dir + "/cgroup.procs";
  if (!fs.Exists(file)) return std::vector<pid_t>{};
  absl::StatusOr<std::string> text = fs.Read(file);
  if (!text.ok()) return text.status();
  std::vector<pid_t> pids;
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    int pid = 0;
    if (!absl::SimpleAtoi(line, &pid) || pid <= 0) {
      return absl::DataLossError(absl::StrCat("cgroup: bad line in ", file));
    }
    pids.push_back(pid);
  }
  return pids;
}

absl::Status V1ApplyLimits(CgroupFs& fs, const std::string& dir, const std::string& controller,
                           const CgroupLimits& limits) {
  if (controller == "memory") {
    std::string limit = limits.memory_bytes ? absl::StrCat(limits.memory_bytes) : "-1";
    // memory + swap must stay >= memory: raise memory first (a fresh group is unlimited).
    if (absl::Status s = fs.Write(dir + "/memory.limit_in_bytes", limit); !s.ok()) return s;
    if (fs.Exists(dir + "/memory.memsw.limit_in_bytes")) {
      // Swap 0: memory + swap may not exceed memory.
      return fs.Write(dir + "/memory.memsw.limit_in_bytes", limit);
    }
    // No swap accounting: at least keep the kernel from choosing to swap this group.
    if (limits.memory_bytes && fs.Exists(dir + "/memory.swappiness")) {
      return fs.Write(dir + "/memory.swappiness", "0");
    }
    return absl::OkStatus();
  }
  if (controller == "cpu") {
    if (absl::Status s = fs.Write(dir + "/cpu.cfs_period_us", absl::StrCat(kCpuPeriodUs));
        !s.ok()) {
      return s;
    }
    std::string quota =
        limits.cpu_millis ? absl::StrCat(uint64_t{limits.cpu_millis} * kCpuPeriodUs / 1000) : "-1";
    if (absl::Status s = fs.Write(dir + "/cpu.cfs_quota_us", quota); !s.ok()) return s;
    // Burst of one quota (Linux 5.14+), written after the quota: see kCpuBurstNote.
    if (limits.cpu_millis && fs.Exists(dir + "/cpu.cfs_burst_us")) {
      if (absl::Status s = fs.Write(dir + "/cpu.cfs_burst_us", quota); !s.ok()) return s;
    }
    if (limits.rt_runtime_us) V1GrantRtBudget(fs, dir, limits.rt_runtime_us);
    return absl::OkStatus();
  }
  if (controller == "pids") {
    return fs.Write(dir + "/pids.max", limits.pids ? absl::StrCat(limits.pids) : "max");
  }
  return absl::OkStatus();  // cpuacct, freezer: nothing to limit.
}

absl::Status V1AddUsage(CgroupFs& fs, const std::string& dir, const std::string& controller,
                        InstanceCgroup::Usage* usage) {
  if (controller == "memory") {
    absl::StatusOr<uint64_t> current = ReadNumber(fs, dir + "/memory.usage_in_bytes");
    if (!current.ok()) return current.status();
    usage->memory_current = *current;
    // "oom_kill" is in memory.oom_control since Linux 4.13.
    absl::StatusOr<uint64_t> ooms = ReadKeyed(fs, dir + "/memory.oom_control", "oom_kill");
    if (!ooms.ok()) return ooms.status();
    usage->oom_kills = *ooms;
  } else if (controller == "cpuacct") {
    absl::StatusOr<uint64_t> ns = ReadNumber(fs, dir + "/cpuacct.usage");
    if (!ns.ok()) return ns.status();
    usage->cpu_usage_ns = *ns;
  } else if (controller == "cpu") {
    absl::StatusOr<uint64_t> throttled = ReadKeyed(fs, dir + "/cpu.stat", "nr_throttled");
    if (!throttled.ok()) return throttled.status();
    usage->cpu_throttled = *throttled;
  } else if (controller == "pids") {
    absl::StatusOr<uint64_t> current = ReadNumber(fs, dir + "/pids.current");
    if (!current.ok()) return current.status();
    usage->pids_current = *current;
  }
  return absl::OkStatus();
}

namespace {

constexpr char kRtRuntime[] = "/cpu.rt_runtime_us";

// Sum of the children's real-time budgets under `parent` (skipping `except`).
uint64_t ChildrenRtBudget(CgroupFs& fs, const std::string& parent, const std::string& except) {
  absl::StatusOr<std::vector<std::string>> subdirs = fs.SubDirs(parent);
  if (!subdirs.ok()) return 0;
  uint64_t sum = 0;
  for (const std::string& sub : *subdirs) {
    const std::string child = parent + "/" + sub;
    if (child == except) continue;
    absl::StatusOr<uint64_t> us = ReadNumber(fs, child + kRtRuntime);
    if (us.ok()) sum += *us;
  }
  return sum;
}

std::string ParentOf(const std::string& dir) { return dir.substr(0, dir.rfind('/')); }

}  // namespace

void V1GrantRtBudget(CgroupFs& fs, const std::string& dir, uint32_t us) {
  if (!fs.Exists(dir + kRtRuntime)) return;  // No CONFIG_RT_GROUP_SCHED: nothing to give.
  const std::string parent = ParentOf(dir);
  const uint64_t needed = ChildrenRtBudget(fs, parent, dir) + us;
  absl::StatusOr<uint64_t> has = ReadNumber(fs, parent + kRtRuntime);
  if (!has.ok()) return;
  if (*has < needed && !fs.Write(parent + kRtRuntime, absl::StrCat(needed)).ok()) return;
  (void)fs.Write(dir + kRtRuntime, absl::StrCat(us));
}

void V1ShrinkRtBudget(CgroupFs& fs, const std::string& parent) {
  if (!fs.Exists(parent + kRtRuntime)) return;
  (void)fs.Write(parent + kRtRuntime, absl::StrCat(ChildrenRtBudget(fs, parent, "")));
}

absl::Status V1Freeze(CgroupFs& fs, const std::string& dir, bool frozen) {
  std::string file = dir + "/freezer.state";
  const char* want = frozen ? "FROZEN" : "THAWED";
  if (absl::Status s = fs.Write(file, want); !s.ok()) return s;
  if (!frozen) return absl::OkStatus();
  // FREEZING until every task stopped; bounded so a stuck task cannot hang the host.
  for (int i = 0; i < 100; ++i) {
    absl::StatusOr<std::string> state = fs.Read(file);
    if (!state.ok()) return state.status();
    if (absl::StripAsciiWhitespace(*state) == want) return absl::OkStatus();
    struct timespec ms {
      0, 1000000
    };
    ::nanosleep(&ms, nullptr);
  }
  return absl::DeadlineExceededError(absl::StrCat("cgroup: ", dir, " did not freeze"));
}

}  // namespace paddock::sandbox::cgroup_backend
