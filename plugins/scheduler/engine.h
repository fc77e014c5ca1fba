// The scheduler's state: the persisted task list and, while this generation is the active
// one, a TaskRunner per armed task.
//
// Activation: a generation runs timers only while it holds <data dir>/leader.lock. During a
// hot reload the new generation starts in standby (its API works: changes go to the file),
// and takes over when the old one drains and drops the lock; it then re-reads the file, so
// nothing added or removed through either generation is lost, and no tick fires twice.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "clock.h"
#include "scheduler.pb.h"
#include "task_runner.h"
#include "task_spec.h"
#include "task_store.h"
#include "tick_ring.h"

namespace paddock::scheduler {

struct EngineOptions {
  Clock* clock = nullptr;  // Not owned; SystemClock() in production.
  std::string data_dir;    // "" = in memory only (then always active).
  CpuSet cpus;             // Where timer threads may be pinned.
  // Calls another plugin through the host; null when the host gave no invoke socket.
  InvokeFn invoke;
  // Checks an invoke target with the host (known, and allowed by the ACL) without calling
  // it; null when unavailable.
  std::function<absl::Status(const std::string& target)> check_invoke;
};

// Thread-safe.
class Engine {
 public:
  // Opens the store and reads the task list. DataLoss for a corrupt file (the plugin should
  // refuse to start rather than silently drop tasks).
  static absl::StatusOr<std::unique_ptr<Engine>> Create(EngineOptions options);
  ~Engine();  // Deactivate().

  // Starts trying to become the active generation (in the background); once it is, every
  // stored task that is not done is armed.
  void Activate();
  // Stops every timer and gives up the leader lock so the next generation takes over.
  // Idempotent; Activate() may be called again afterwards.
  void Deactivate();
  // Whether this instance runs the timers now.
  bool active() const;

  // Validates, checks the invoke target with the host, persists and (when active) arms.
  absl::StatusOr<paddock::scheduler::v1::TaskInfo> Add(paddock::scheduler::v1::TaskSpec spec);
  // Disarms and forgets. NotFound if unknown.
  absl::StatusOr<paddock::scheduler::v1::TaskInfo> Remove(const std::string& name);
  // Every task, by name.
  std::vector<paddock::scheduler::v1::TaskInfo> List();
  // One task's statistics (or all, for ""). NotFound for an unknown name.
  absl::StatusOr<std::vector<paddock::scheduler::v1::TaskStats>> Stats(const std::string& name);
  // Whether a task of that name is stored.
  bool Has(const std::string& name);

  // The armed runners (for Subscribe), and a number that changes whenever that set changes.
  std::vector<std::shared_ptr<TaskRunner>> Runners();
  uint64_t runners_version() const { return runners_version_.load(); }
  // Bumped after every tick of every task, and when the runner set changes.
  TickSignal& signal() { return signal_; }

 private:
  explicit Engine(EngineOptions options, std::unique_ptr<TaskStore> store,
                  paddock::scheduler::v1::TaskFile file);
  void LeaderLoop();
  // Arms every stored task not done and not armed; disarms runners of tasks no longer
  // stored. Requires active_.
  void ReconcileLocked(std::vector<std::shared_ptr<TaskRunner>>* to_stop)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::shared_ptr<TaskRunner>> StartRunner(
      const paddock::scheduler::v1::TaskSpec& spec);
  void OnDone(const std::string& name);
  paddock::scheduler::v1::TaskInfo InfoLocked(const paddock::scheduler::v1::TaskRecord& rec)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void BumpRunners();

  EngineOptions options_;
  std::unique_ptr<TaskStore> store_;
  TickSignal signal_;
  std::atomic<uint64_t> runners_version_{0};

  mutable absl::Mutex mu_;
  paddock::scheduler::v1::TaskFile file_ ABSL_GUARDED_BY(mu_);  // Last known stored list.
  std::map<std::string, std::shared_ptr<TaskRunner>> runners_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> failures_ ABSL_GUARDED_BY(mu_);  // Arming errors.
  bool active_ ABSL_GUARDED_BY(mu_) = false;

  absl::Mutex leader_mu_;  // Serializes Activate/Deactivate.
  std::thread leader_thread_;
  std::atomic<bool> leader_stop_{false};
  UniqueFd leader_lock_;  // Touched by the leader thread, then by Deactivate after joining it.
};

}  // namespace paddock::scheduler
