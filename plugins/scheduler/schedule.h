// When a task fires: the deadline arithmetic of periodic, one-shot and cron tasks, apart
// from any thread or clock so it can be tested exactly.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>

#include "absl/status/statusor.h"
#include "clock.h"
#include "cron.h"
#include "scheduler.pb.h"

namespace paddock::scheduler {

// Immutable; thread-safe.
class Schedule {
 public:
  // The schedule of a validated, normalized spec (see task_spec.h). InvalidArgument for a
  // spec without a schedule or with a bad cron expression.
  static absl::StatusOr<Schedule> FromSpec(const paddock::scheduler::v1::TaskSpec& spec);

  ClockId clock() const { return clock_; }

  // The first deadline for a task armed at `now`: periodic, the first grid point strictly
  // after now; one-shot, its time (possibly already past: it then fires at once); cron, the
  // first matching minute strictly after now. nullopt when there is none.
  std::optional<int64_t> First(int64_t now) const;

  // The deadline after `deadline`; nullopt for a one-shot task.
  std::optional<int64_t> After(int64_t deadline) const;

  // For a timer that woke at `now` for `deadline`: the latest deadline that is due (<= now)
  // starting from `deadline`, and how many earlier due deadlines it passes over. Periodic
  // schedules compute it in O(1); cron scans at most `max_scan` deadlines and then jumps.
  std::pair<int64_t, uint64_t> LatestDue(int64_t deadline, int64_t now,
                                         uint64_t max_scan = 100000) const;

  // Periodic interval in ns; 0 for other kinds.
  int64_t interval_ns() const { return interval_ns_; }

 private:
  enum class Kind { kPeriodic, kOneShot, kCron };
  Schedule() = default;

  Kind kind_ = Kind::kPeriodic;
  ClockId clock_ = ClockId::kMonotonic;
  int64_t interval_ns_ = 0, phase_ns_ = 0, at_ns_ = 0;
  std::optional<CronExpr> cron_;
};

}  // namespace paddock::scheduler
