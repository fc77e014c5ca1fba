// Validation of task definitions: every bad field gets an InvalidArgument that names it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "scheduler.pb.h"

namespace paddock::scheduler {

inline constexpr uint64_t kMinIntervalUs = 100;
inline constexpr uint64_t kMaxIntervalUs = 86400ull * 1000000;  // One day.
inline constexpr uint32_t kMaxSpinMarginUs = 1000000;
inline constexpr size_t kMaxInvokeJsonBytes = 64 * 1024;
inline constexpr uint32_t kMaxInvokeTimeoutMs = 60000;

// The CPUs this process may run on.
class CpuSet {
 public:
  CpuSet() = default;
  explicit CpuSet(std::vector<int> cpus);
  // The calling thread's affinity (sched_getaffinity), i.e. the plugin's cpuset.
  static CpuSet OfThisProcess();
  bool Contains(int cpu) const;
  bool empty() const { return cpus_.empty(); }
  // "0-1,4" form, like /proc/<pid>/status Cpus_allowed_list.
  std::string ToString() const;

 private:
  std::vector<int> cpus_;  // Sorted, unique.
};

// Checks `spec` field by field: the name, exactly one schedule (periodic interval 100 us to one
// day with phase < interval; one-shot with exactly one of at/in_ms; a cron expression that
// parses and fires), the CPU (in `cpus`), policy and priority (SCHED_FIFO 1..99, SCHED_OTHER
// 0), precision and spin margin (< the interval), miss policy, and the invoke target's syntax
// ("plugin/Method"), body size and timeout. Whether the host knows and allows the target is
// the caller's check (it needs the host).
absl::Status ValidateTaskSpec(const paddock::scheduler::v1::TaskSpec& spec, const CpuSet& cpus);

// Turns a relative one-shot (in_ms) into an absolute one (at = now + in_ms), so the stored
// definition means the same after a restart. `now_unix_ns` is the wall clock.
void NormalizeTaskSpec(paddock::scheduler::v1::TaskSpec* spec, int64_t now_unix_ns);

// Splits "plugin/Method" into its plugin name and method spec. InvalidArgument otherwise.
absl::Status SplitInvokeTarget(const std::string& target, std::string* plugin, std::string* method);

}  // namespace paddock::scheduler
