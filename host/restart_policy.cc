#include "host/restart_policy.h"

#include <algorithm>
#include <cmath>

#include "absl/random/distributions.h"

namespace paddock::host {

RestartTracker::RestartTracker(const paddock::v1::RestartPolicy& policy)
    : initial_(absl::Milliseconds(policy.initial_backoff_ms())),
      max_(absl::Milliseconds(std::max(policy.max_backoff_ms(), policy.initial_backoff_ms()))),
      multiplier_(std::isfinite(policy.multiplier()) ? std::max(policy.multiplier(), 1.0) : 1.0),
      jitter_(std::isfinite(policy.jitter()) ? std::clamp(policy.jitter(), 0.0, 1.0) : 0.0),
      crash_loop_count_(std::max<uint32_t>(policy.crash_loop_count(), 1)),
      window_(absl::Milliseconds(policy.crash_loop_window_ms())) {}

absl::Duration RestartTracker::BaseDelay() const {
  // Grow step by step and stop at the cap: no pow() overflow for large counts.
  absl::Duration d = initial_;
  for (uint32_t i = 1; i < consecutive_ && d < max_; ++i) d = d * multiplier_;
  return std::min(d, max_);
}

std::optional<absl::Duration> RestartTracker::OnFailure(absl::Time now, absl::BitGenRef rng) {
  if (parked_) return std::nullopt;
  ++consecutive_;
  while (!failures_.empty() && now - failures_.front() >= window_) failures_.pop_front();
  failures_.push_back(now);
  if (failures_.size() >= crash_loop_count_) {
    parked_ = true;
    return std::nullopt;
  }
  const double u = absl::Uniform<double>(absl::IntervalClosedOpen, rng, 0.0, 1.0);
  ++restarts_;
  return BaseDelay() * (1.0 - jitter_ * u);
}

void RestartTracker::OnStable() { consecutive_ = 0; }

void RestartTracker::Reset() {
  failures_.clear();
  restarts_ = 0;
  consecutive_ = 0;
  parked_ = false;
}

absl::Duration RestartTracker::StableAfter() const { return std::max(absl::Seconds(10), max_); }

}  // namespace paddock::host
