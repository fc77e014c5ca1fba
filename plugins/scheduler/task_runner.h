// One task's timer thread (and, when the task invokes another plugin, its invoke thread).
//
// The timer thread pins itself, takes its scheduling class, then loops: wait for the
// deadline (absolute sleep, or sleep-then-spin), apply the miss policy, record the latency,
// publish the tick to the ring and bump the shared TickSignal. It never takes a lock, never
// allocates and never calls gRPC in that loop. Invokes run on a separate thread that reads
// the ring; when an invoke is still running as new ticks come, those ticks are coalesced
// (counted as overruns) rather than queued.
#pragma once

#include <atomic>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "clock.h"
#include "latency_histogram.h"
#include "rt_thread.h"
#include "schedule.h"
#include "scheduler.pb.h"
#include "tick_ring.h"

namespace paddock::scheduler {

// Calls `target` ("plugin/Method") with `json` through the host; returns the response JSON.
using InvokeFn = std::function<absl::StatusOr<std::string>(
    const std::string& target, const std::string& json, uint32_t timeout_ms)>;

struct RunnerDeps {
  Clock* clock = nullptr;        // Not owned; outlives the runner.
  TickSignal* signal = nullptr;  // Not owned; bumped after every published tick.
  InvokeFn invoke;               // Needed when the spec has an invoke target.
  // Called once on the timer thread after a one-shot task fired (or found nothing left to
  // fire). Must not wait for the runner (e.g. call Stop on it).
  std::function<void(const std::string& name)> on_done;
};

struct RunnerStats {
  uint64_t ticks = 0, misses = 0, overruns = 0;
  uint64_t invokes_ok = 0, invokes_failed = 0;
  std::string last_invoke_error;
  LatencySnapshot latency;
  uint64_t thread_cpu_ns = 0, wall_ns = 0;
  uint64_t spin_margin_ns = 0;
  bool done = false;
  bool has_next = false;
  int64_t next_ns = 0;  // On the task's clock.
};

class TaskRunner {
 public:
  // Starts the threads and waits for the timer thread's set-up. The error is the set-up's
  // (pinning failed); a refused SCHED_FIFO is reported in applied().note instead.
  static absl::StatusOr<std::unique_ptr<TaskRunner>> Start(
      const paddock::scheduler::v1::TaskSpec& spec, RunnerDeps deps);

  // Stops and joins the threads (Stop()).
  ~TaskRunner();
  TaskRunner(const TaskRunner&) = delete;
  TaskRunner& operator=(const TaskRunner&) = delete;

  // Stops the threads and waits for them: at most one sleep chunk (100 ms) plus a running
  // invoke's deadline. Idempotent. Not from the runner's own threads.
  void Stop();

  const paddock::scheduler::v1::TaskSpec& spec() const { return spec_; }
  const std::string& name() const { return spec_.name(); }
  ClockId clock() const { return schedule_.clock(); }
  // Set before Start returns; immutable afterwards.
  const ThreadApplied& applied() const { return applied_; }
  // Ticks, for subscribers.
  const TickRing& ring() const { return ring_; }
  // Thread-safe.
  RunnerStats Stats() const;
  // Tick latency in Prometheus buckets (LatencyHistogram::Cumulative). Thread-safe.
  void LatencyBuckets(const std::vector<int64_t>& bounds_ns, std::vector<uint64_t>* cumulative,
                      uint64_t* sum_ns) const {
    latency_.Cumulative(bounds_ns, cumulative, sum_ns);
  }

 private:
  TaskRunner(paddock::scheduler::v1::TaskSpec spec, Schedule schedule, RunnerDeps deps);
  void TimerMain(std::promise<absl::StatusOr<ThreadApplied>>* ready);
  // Fires from deadline `next` on until stopped or the schedule ends.
  void Loop(std::optional<int64_t> next);
  // Waits until `deadline`; returns the time the wait ended, or -1 when stopped.
  int64_t WaitFor(int64_t deadline);
  // Sleeps (in bounded chunks, so Stop is seen) until `target`; -1 when stopped.
  int64_t SleepUntil(int64_t target);
  void InvokeMain();

  const paddock::scheduler::v1::TaskSpec spec_;
  const Schedule schedule_;
  RunnerDeps deps_;
  ThreadApplied applied_;

  TickRing ring_;
  LatencyHistogram latency_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> ticks_{0}, misses_{0}, overruns_{0};
  std::atomic<uint64_t> invokes_ok_{0}, invokes_failed_{0};
  std::atomic<bool> done_{false};
  std::atomic<bool> has_next_{false};
  std::atomic<int64_t> next_ns_{0};
  std::atomic<int64_t> spin_margin_ns_{0};
  std::atomic<int64_t> armed_mono_ns_{0};
  mutable std::mutex error_mu_;
  std::string last_invoke_error_;  // Guarded by error_mu_.

  std::thread timer_;
  std::thread invoker_;
  clockid_t timer_cpu_clock_ = 0;
  bool cpu_clock_valid_ = false;
  mutable std::atomic<uint64_t> last_cpu_ns_{0};
  std::atomic<bool> timer_running_{true};  // False once the timer thread's clock may be gone.
};

}  // namespace paddock::scheduler
