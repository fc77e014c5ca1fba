#include "task_runner.h"

#include <pthread.h>
#include <time.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "paddock/log.h"

namespace paddock::scheduler {

namespace {

// Longest single sleep, so Stop() is seen within this even while a deadline is far away.
constexpr int64_t kSleepChunkNs = 100'000'000;
// Adaptive spin margin: start, floor, ceiling for non-periodic tasks, decay per tick.
constexpr int64_t kInitialSpinMarginNs = 50'000;
constexpr int64_t kMinSpinMarginNs = 5'000;
constexpr int64_t kMaxSpinMarginNs = 2'000'000;
// Periodic tasks spin at most a quarter of the interval and 200 us per tick: a SCHED_FIFO
// thread spinning more would exhaust the cgroup's real-time budget (the host grants 25%) and be
// throttled for the rest of the second.
constexpr int64_t kMaxPeriodicSpinMarginNs = 200'000;
constexpr double kSpinMarginDecay = 0.999;
// MISS_CATCH_UP fires at most this many late deadlines in a row, then skips to the latest.
constexpr uint64_t kMaxCatchUp = 1000;
constexpr uint32_t kDefaultInvokeTimeoutMs = 5000;
constexpr int kInvokeWaitMs = 100;

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace

TaskRunner::TaskRunner(v1::TaskSpec spec, Schedule schedule, RunnerDeps deps)
    : spec_(std::move(spec)), schedule_(std::move(schedule)), deps_(std::move(deps)) {}

absl::StatusOr<std::unique_ptr<TaskRunner>> TaskRunner::Start(const v1::TaskSpec& spec,
                                                              RunnerDeps deps) {
  if (deps.clock == nullptr || deps.signal == nullptr) {
    return absl::InternalError("TaskRunner: clock and signal are required");
  }
  if (spec.has_invoke() && !deps.invoke) {
    return absl::FailedPreconditionError(
        "this plugin instance cannot invoke other plugins (the host gave it no invoke socket)");
  }
  absl::StatusOr<Schedule> schedule = Schedule::FromSpec(spec);
  if (!schedule.ok()) return schedule.status();
  std::unique_ptr<TaskRunner> r(new TaskRunner(spec, std::move(*schedule), std::move(deps)));
  r->armed_mono_ns_.store(r->deps_.clock->Now(ClockId::kMonotonic));
  int64_t margin =
      spec.spin_margin_us() ? int64_t{spec.spin_margin_us()} * 1000 : kInitialSpinMarginNs;
  if (r->schedule_.interval_ns() > 0 && spec.spin_margin_us() == 0) {
    margin = std::min(margin, r->schedule_.interval_ns() / 4);
  }
  r->spin_margin_ns_.store(margin);

  std::promise<absl::StatusOr<ThreadApplied>> ready;
  std::future<absl::StatusOr<ThreadApplied>> applied = ready.get_future();
  TaskRunner* self = r.get();
  r->timer_ = std::thread([self, &ready] { self->TimerMain(&ready); });
  absl::StatusOr<ThreadApplied> result = applied.get();
  if (!result.ok()) {
    r->timer_.join();
    return result.status();
  }
  r->applied_ = std::move(*result);
  r->cpu_clock_valid_ = pthread_getcpuclockid(r->timer_.native_handle(), &r->timer_cpu_clock_) == 0;
  if (spec.has_invoke()) r->invoker_ = std::thread([self] { self->InvokeMain(); });
  return r;
}

TaskRunner::~TaskRunner() { Stop(); }

void TaskRunner::Stop() {
  stop_.store(true);
  if (timer_.joinable()) {
    (void)Stats();  // Keep the thread's CPU time: its clock dies with it.
    timer_running_.store(false);
    timer_.join();
  }
  if (invoker_.joinable()) invoker_.join();
}

void TaskRunner::TimerMain(std::promise<absl::StatusOr<ThreadApplied>>* ready) {
  ThreadRequest req;
  req.name = "sch-" + spec_.name();
  if (spec_.has_cpu()) req.cpu = spec_.cpu();
  req.fifo = spec_.policy() == v1::SCHED_POLICY_FIFO;
  req.priority = static_cast<int>(spec_.priority());
  absl::StatusOr<ThreadApplied> applied = ApplyToCurrentThread(req);
  const bool ok = applied.ok();
  // The first deadline is known before Start returns (ListTasks shows it at once).
  const std::optional<int64_t> first = schedule_.First(deps_.clock->Now(schedule_.clock()));
  if (ok && first) {
    next_ns_.store(*first, std::memory_order_relaxed);
    has_next_.store(true, std::memory_order_release);
  }
  ready->set_value(std::move(applied));  // `ready` dies after this; do not touch it again.
  if (!ok) return;
  Loop(first);
}

int64_t TaskRunner::SleepUntil(int64_t target) {
  Clock& clock = *deps_.clock;
  const ClockId id = schedule_.clock();
  for (;;) {
    const int64_t now = clock.Now(id);
    if (now >= target) return now;
    if (stop_.load(std::memory_order_relaxed)) return -1;
    clock.SleepUntil(id, std::min(target, now + kSleepChunkNs));
  }
}

int64_t TaskRunner::WaitFor(int64_t deadline) {
  if (spec_.precision() != v1::PRECISION_SPIN) return SleepUntil(deadline);
  Clock& clock = *deps_.clock;
  const ClockId id = schedule_.clock();
  const int64_t margin = spin_margin_ns_.load(std::memory_order_relaxed);
  const int64_t wake_target = deadline - margin;
  const int64_t woke = SleepUntil(wake_target);
  if (woke < 0) return -1;
  if (spec_.spin_margin_us() == 0) {
    // Adaptive: the margin follows a decaying maximum of how late the sleep ends, so the
    // thread is already spinning when the deadline comes in all but the rarest ticks.
    const int64_t late = woke - wake_target;
    const int64_t ceiling = schedule_.interval_ns() > 0
                                ? std::min(schedule_.interval_ns() / 4, kMaxPeriodicSpinMarginNs)
                                : kMaxSpinMarginNs;
    const double decayed = static_cast<double>(margin) * kSpinMarginDecay;
    const double wanted = static_cast<double>(late) * 1.25 + kMinSpinMarginNs;
    const int64_t next = static_cast<int64_t>(std::max(decayed, wanted));
    spin_margin_ns_.store(std::clamp(next, kMinSpinMarginNs, std::max(ceiling, kMinSpinMarginNs)),
                          std::memory_order_relaxed);
  }
  int64_t now = woke;
  uint32_t spins = 0;
  while (now < deadline) {
    CpuRelax();
    if ((++spins & 0xfff) == 0 && stop_.load(std::memory_order_relaxed)) return -1;
    now = clock.Now(id);
  }
  return now;
}

void TaskRunner::Loop(std::optional<int64_t> next) {
  Clock& clock = *deps_.clock;
  const ClockId id = schedule_.clock();
  const bool skip = spec_.on_miss() == v1::MISS_SKIP;
  uint64_t sequence = 0;
  uint64_t catch_up_run = 0;
  while (next && !stop_.load(std::memory_order_relaxed)) {
    next_ns_.store(*next, std::memory_order_relaxed);
    has_next_.store(true, std::memory_order_release);
    const int64_t actual = WaitFor(*next);
    if (actual < 0) break;
    int64_t deadline = *next;
    uint64_t missed = 0;
    const std::optional<int64_t> following = schedule_.After(deadline);
    if (following && *following <= actual) {
      // Later deadlines are due already: the thread is late by at least a period.
      if (skip || ++catch_up_run > kMaxCatchUp) {
        auto [latest, passed] = schedule_.LatestDue(deadline, actual);
        deadline = latest;
        missed = passed;
        catch_up_run = 0;
      }
    } else {
      catch_up_run = 0;
    }
    sequence += missed;
    latency_.Record(actual - deadline);
    ring_.Publish({sequence, deadline, actual, missed});
    ticks_.fetch_add(1, std::memory_order_relaxed);
    if (missed) misses_.fetch_add(missed, std::memory_order_relaxed);
    deps_.signal->Notify();
    ++sequence;
    next = schedule_.After(deadline);
    // The thread's own work ran past the next deadline (it was not late already).
    if (next && actual < *next && clock.Now(id) >= *next) {
      overruns_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  has_next_.store(false, std::memory_order_release);
  timespec cpu;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu) == 0) {
    last_cpu_ns_.store(uint64_t(cpu.tv_sec) * 1000000000 + uint64_t(cpu.tv_nsec));
  }
  timer_running_.store(false);
  if (!next && !stop_.load()) {
    done_.store(true);
    if (deps_.on_done) deps_.on_done(spec_.name());
  }
}

void TaskRunner::InvokeMain() {
  pthread_setname_np(pthread_self(), ("inv-" + spec_.name()).substr(0, 15).c_str());
  const v1::Invoke& inv = spec_.invoke();
  const uint32_t timeout = inv.timeout_ms() ? inv.timeout_ms() : kDefaultInvokeTimeoutMs;
  uint64_t cursor = 0;
  std::string last_logged;
  while (!stop_.load()) {
    const uint32_t seen = deps_.signal->value();
    const uint64_t head = ring_.published();
    if (head == cursor) {
      deps_.signal->Wait(seen, kInvokeWaitMs);
      continue;
    }
    // Ticks that came while the previous invoke ran are coalesced into the latest one.
    if (head - cursor > 1) overruns_.fetch_add(head - cursor - 1, std::memory_order_relaxed);
    cursor = head;
    absl::StatusOr<std::string> reply = deps_.invoke(inv.target(), inv.json(), timeout);
    if (reply.ok()) {
      invokes_ok_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    invokes_failed_.fetch_add(1, std::memory_order_relaxed);
    std::string error(reply.status().ToString());
    {
      std::lock_guard<std::mutex> lock(error_mu_);
      last_invoke_error_ = error;
    }
    if (error != last_logged) {  // Log each distinct failure once, not every tick.
      paddock::log::Warn("invoke failed",
                         {{"task", spec_.name()}, {"target", inv.target()}, {"error", error}});
      last_logged = error;
    }
  }
}

RunnerStats TaskRunner::Stats() const {
  RunnerStats s;
  s.ticks = ticks_.load(std::memory_order_relaxed);
  s.misses = misses_.load(std::memory_order_relaxed);
  s.overruns = overruns_.load(std::memory_order_relaxed);
  s.invokes_ok = invokes_ok_.load(std::memory_order_relaxed);
  s.invokes_failed = invokes_failed_.load(std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(error_mu_);
    s.last_invoke_error = last_invoke_error_;
  }
  s.latency = latency_.Snapshot();
  if (cpu_clock_valid_ && timer_running_.load()) {
    timespec ts;
    if (clock_gettime(timer_cpu_clock_, &ts) == 0) {
      last_cpu_ns_.store(uint64_t(ts.tv_sec) * 1000000000 + uint64_t(ts.tv_nsec));
    }
  }
  s.thread_cpu_ns = last_cpu_ns_.load();
  const int64_t wall = deps_.clock->Now(ClockId::kMonotonic) - armed_mono_ns_.load();
  s.wall_ns = wall > 0 ? static_cast<uint64_t>(wall) : 0;
  s.spin_margin_ns = spec_.precision() == v1::PRECISION_SPIN
                         ? static_cast<uint64_t>(spin_margin_ns_.load(std::memory_order_relaxed))
                         : 0;
  s.done = done_.load();
  s.has_next = has_next_.load(std::memory_order_acquire);
  s.next_ns = next_ns_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace paddock::scheduler
