// Restart delays and crash-loop detection for one plugin. Pure: the clock and the random
// source are passed in, so the math is tested without sleeping.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>

#include "absl/random/bit_gen_ref.h"
#include "absl/time/time.h"
#include "paddock/v1/host_config.pb.h"

namespace paddock::host {

// Not thread-safe; the supervisor owns one per plugin.
//
// Delay after the n-th consecutive failure: initial * multiplier^(n-1), capped at max,
// then jittered down: delay * (1 - jitter * U) with U uniform in [0, 1). So with jitter
// 0.5 the delay is in (d/2, d]; the cap holds for the jittered delay too.
//
// Crash loop: when crash_loop_count failures (this one included) fall within the last
// crash_loop_window_ms, the plugin is parked: OnFailure returns nullopt, and keeps doing
// so until Reset().
//
// Stability: the supervisor calls OnStable() once an instance has been serving for
// StableAfter() = max(10 s, max backoff). That resets the consecutive count (so the next
// failure waits only the initial delay again) but not the window history: a plugin that
// crashes every 11 s still trips the crash-loop detector with a 60 s window and count 5.
class RestartTracker {
 public:
  // `policy` with defaults filled (ParseHostConfig does that). A multiplier below 1 is
  // taken as 1 and jitter is clamped to [0, 1], so a hand-built policy cannot misbehave.
  explicit RestartTracker(const paddock::v1::RestartPolicy& policy);

  // Records a failure at `now`. Returns the delay before the next start, or nullopt when
  // the plugin is (or already was) parked as failed.
  std::optional<absl::Duration> OnFailure(absl::Time now, absl::BitGenRef rng);

  // The instance served long enough: the next failure starts the backoff from scratch.
  void OnStable();

  // Manual restart: forgets everything (counts, history, parked).
  void Reset();

  // How long an instance must serve before the supervisor calls OnStable().
  absl::Duration StableAfter() const;

  // Restarts granted (delays returned) since construction or Reset().
  uint32_t restarts() const { return restarts_; }
  // Failures since the last OnStable() / Reset().
  uint32_t consecutive_failures() const { return consecutive_; }
  // True once a crash loop was detected (until Reset()).
  bool parked() const { return parked_; }

 private:
  absl::Duration BaseDelay() const;  // For consecutive_ failures, capped, before jitter.

  const absl::Duration initial_;
  const absl::Duration max_;
  const double multiplier_;
  const double jitter_;
  const uint32_t crash_loop_count_;
  const absl::Duration window_;
  std::deque<absl::Time> failures_;  // Within the window, oldest first.
  uint32_t restarts_ = 0;
  uint32_t consecutive_ = 0;
  bool parked_ = false;
};

}  // namespace paddock::host
