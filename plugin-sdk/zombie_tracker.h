// Which zombie children the SDK may reap: those that stayed zombies for a grace period.
//
// When the plugin is pid 1 of its pid namespace, every orphan of the sandbox is reparented
// to it and becomes its zombie when it exits. The kernel cannot tell such an orphan from a
// child the plugin started itself (both have ppid 1), so the SDK leaves every zombie alone
// for `grace` after it first sees it: a plugin that waits for its own children (system(),
// popen()/pclose(), posix_spawn() + waitpid() all do at once) reaps them first; anything
// left longer is reaped by the SDK so it cannot pile up against the pids limit.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <vector>

namespace paddock::sdk {

// Not thread-safe: one owner (the reaper's thread).
class ZombieTracker {
 public:
  explicit ZombieTracker(int64_t grace_ns) : grace_ns_(grace_ns) {}

  // `zombies` are the zombie children present at `now_ns` (monotonic). Returns those first
  // seen at least grace ago; forgets every pid no longer a zombie (reaped by someone else,
  // or the pid reused by a live process).
  std::vector<pid_t> Due(int64_t now_ns, const std::vector<pid_t>& zombies);

  // Nanoseconds from `now_ns` until the earliest tracked zombie is due (0 if one is due
  // already); -1 if nothing is tracked.
  int64_t NextDueIn(int64_t now_ns) const;

  size_t tracked() const { return first_seen_ns_.size(); }

 private:
  const int64_t grace_ns_;
  std::map<pid_t, int64_t> first_seen_ns_;
};

}  // namespace paddock::sdk
