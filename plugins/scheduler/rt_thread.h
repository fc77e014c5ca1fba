// Real-time set-up of the calling thread: name, CPU pinning, scheduling class, timer slack,
// pre-faulted stack; and the plugin-wide memory lock. Each step reports what it got, because a
// confined plugin may be granted less than a task asks for.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace paddock::scheduler {

struct ThreadRequest {
  std::string name;        // Thread name (truncated to 15 bytes by the kernel).
  std::optional<int> cpu;  // Pin to this CPU.
  bool fifo = false;       // SCHED_FIFO at `priority`, else SCHED_OTHER.
  int priority = 0;
};

struct ThreadApplied {
  std::string policy;  // "SCHED_FIFO" or "SCHED_OTHER".
  int priority = 0;
  int cpu = -1;
  std::string note;  // Why the request was not met in full ("" when it was).
  int tid = 0;
  std::string name;
};

// Applies `req` to the calling thread. Pinning is required: its failure is the error (the CPU
// was validated, so it means the cpuset changed under us). A refused SCHED_FIFO is not an
// error: the thread stays SCHED_OTHER and `note` explains (no CAP_SYS_NICE, no real-time budget
// in the cgroup, or a seccomp policy without the "realtime" group). Also sets the timer slack
// to 1 ns (SCHED_OTHER sleeps are otherwise rounded up by 50 us) and touches 64 KiB of stack
// so later ticks take no page faults there.
absl::StatusOr<ThreadApplied> ApplyToCurrentThread(const ThreadRequest& req);

// Whether the calling thread holds `cap` (a CAP_* number) in its effective set.
bool HasEffectiveCapability(int cap);

// Locks the process's memory: mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT), so pages stay
// resident once touched without faulting in every thread's whole stack at once (which a
// memory-limited cgroup would not allow). Returns "" on success, else why not.
std::string LockProcessMemory();
// Undoes LockProcessMemory.
void UnlockProcessMemory();

}  // namespace paddock::scheduler
