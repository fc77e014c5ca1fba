// Reaps zombies nobody waits for when the plugin is pid 1 of its sandbox's pid namespace.
//
// In a sandbox the plugin is pid 1, so every orphan of the namespace (a grandchild whose
// parent exited first) is reparented to it; unreaped, each stays a zombie and counts against
// the instance's pids limit until the instance ends. A thread checks once per `interval`
// whether the process has a zombie child at all (one waitid(WNOWAIT) call), and if so lists
// them from /proc and reaps those that stayed zombies for `grace` (zombie_tracker.h says why
// a grace: a plugin's own children look the same, and the plugin must get to wait for them).
//
// Contract for plugins that start processes: wait for a child within `grace` of its exit
// (the SDK's default is 2 s), or the SDK may reap it and a late waitpid() fails with ECHILD.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "paddock/fd.h"
#include "plugin-sdk/zombie_tracker.h"

namespace paddock::sdk {

class OrphanReaper {
 public:
  struct Options {
    absl::Duration interval = absl::Seconds(1);
    absl::Duration grace = absl::Seconds(2);
    std::string proc_root = "/proc";
  };

  // Starts the reaper's thread for this process's children (whatever its pid: RunPlugin
  // starts one only when getpid() == 1). Errors if the thread's eventfd cannot be made.
  static absl::StatusOr<std::unique_ptr<OrphanReaper>> Start(Options options);

  // Stops and joins the thread.
  ~OrphanReaper();
  OrphanReaper(const OrphanReaper&) = delete;
  OrphanReaper& operator=(const OrphanReaper&) = delete;

  // Zombies reaped so far. Thread-safe.
  uint64_t reaped() const { return reaped_.load(std::memory_order_relaxed); }

 private:
  OrphanReaper(Options options, UniqueFd stop_fd);
  void Run();
  // One pass: list zombie children, reap the due ones. Returns false to stop scanning
  // (/proc unreadable: logged once).
  bool Scan();

  const Options options_;
  const pid_t self_;
  UniqueFd stop_fd_;
  ZombieTracker tracker_;
  std::atomic<uint64_t> reaped_{0};
  std::thread thread_;
};

}  // namespace paddock::sdk
