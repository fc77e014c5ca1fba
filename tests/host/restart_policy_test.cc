#include "host/restart_policy.h"

#include <catch2/catch.hpp>
#include <random>

namespace paddock::host {
namespace {

paddock::v1::RestartPolicy Policy(double jitter) {
  paddock::v1::RestartPolicy p;
  p.set_initial_backoff_ms(100);
  p.set_max_backoff_ms(30000);
  p.set_multiplier(2.0);
  p.set_jitter(jitter);
  p.set_crash_loop_count(5);
  p.set_crash_loop_window_ms(60000);
  return p;
}

const absl::Time kStart = absl::FromUnixSeconds(1'700'000'000);

TEST_CASE("backoff grows exponentially and is capped", "[restart_policy]") {
  auto p = Policy(0);
  p.set_crash_loop_count(1000);
  RestartTracker t(p);
  std::mt19937_64 rng(1);
  const int64_t expected_ms[] = {100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 30000, 30000};
  absl::Time now = kStart;
  for (int64_t ms : expected_ms) {
    now += absl::Minutes(2);  // Outside the crash-loop window each time.
    auto d = t.OnFailure(now, rng);
    REQUIRE(d.has_value());
    CHECK(*d == absl::Milliseconds(ms));
  }
  CHECK(t.consecutive_failures() == 11);
  CHECK(t.restarts() == 11);
  // Far past the cap, still capped (no overflow).
  for (int i = 0; i < 200; ++i) {
    now += absl::Minutes(2);
    REQUIRE(t.OnFailure(now, rng) == absl::Milliseconds(30000));
  }
}

TEST_CASE("jitter draws the delay down by at most the jitter fraction", "[restart_policy]") {
  std::mt19937_64 rng(42);
  for (double jitter : {0.5, 1.0, 0.1}) {
    RestartTracker t(Policy(jitter));
    absl::Duration lo = absl::InfiniteDuration();
    absl::Duration hi = absl::ZeroDuration();
    for (int i = 0; i < 5000; ++i) {
      t.Reset();
      auto d = t.OnFailure(kStart, rng);
      REQUIRE(d.has_value());
      REQUIRE(*d <= absl::Milliseconds(100));
      REQUIRE(*d > absl::Milliseconds(100) * (1 - jitter));
      lo = std::min(lo, *d);
      hi = std::max(hi, *d);
    }
    // The draws spread over (nearly) the whole allowed range.
    CHECK(lo < absl::Milliseconds(100) * (1 - jitter * 0.95));
    CHECK(hi > absl::Milliseconds(100) * (1 - jitter * 0.05));
  }
}

TEST_CASE("a crash loop inside the window parks the plugin", "[restart_policy]") {
  RestartTracker t(Policy(0));
  std::mt19937_64 rng(3);
  for (int i = 0; i < 4; ++i) REQUIRE(t.OnFailure(kStart + absl::Seconds(10 * i), rng).has_value());
  CHECK_FALSE(t.parked());
  CHECK_FALSE(t.OnFailure(kStart + absl::Seconds(59), rng).has_value());  // 5th within 60 s.
  CHECK(t.parked());
  CHECK(t.restarts() == 4);
  CHECK_FALSE(t.OnFailure(kStart + absl::Hours(1), rng).has_value());  // Stays parked.
  t.Reset();
  CHECK_FALSE(t.parked());
  CHECK(t.restarts() == 0);
  CHECK(t.consecutive_failures() == 0);
  CHECK(t.OnFailure(kStart + absl::Hours(1), rng) == absl::Milliseconds(100));
}

TEST_CASE("failures spread wider than the window do not park", "[restart_policy]") {
  RestartTracker t(Policy(0));
  std::mt19937_64 rng(4);
  for (int i = 0; i < 50; ++i) {
    // 4 failures per window at most: one every 16 s with a 60 s window.
    REQUIRE(t.OnFailure(kStart + absl::Seconds(16 * i), rng).has_value());
    t.OnStable();
  }
  CHECK_FALSE(t.parked());
  CHECK(t.restarts() == 50);
}

TEST_CASE("stability resets the backoff but not the crash-loop history", "[restart_policy]") {
  RestartTracker t(Policy(0));
  std::mt19937_64 rng(5);
  CHECK(t.OnFailure(kStart, rng) == absl::Milliseconds(100));
  CHECK(t.OnFailure(kStart + absl::Seconds(1), rng) == absl::Milliseconds(200));
  CHECK(t.OnFailure(kStart + absl::Seconds(2), rng) == absl::Milliseconds(400));
  t.OnStable();
  CHECK(t.consecutive_failures() == 0);
  CHECK(t.OnFailure(kStart + absl::Seconds(40), rng) == absl::Milliseconds(100));
  CHECK_FALSE(t.OnFailure(kStart + absl::Seconds(50), rng).has_value());  // 5 within 60 s.
  CHECK(t.StableAfter() == absl::Seconds(30));
  auto p = Policy(0);
  p.set_max_backoff_ms(1000);
  CHECK(RestartTracker(p).StableAfter() == absl::Seconds(10));
}

TEST_CASE("a hand-built policy cannot produce nonsense", "[restart_policy]") {
  paddock::v1::RestartPolicy p;  // No defaults filled.
  p.set_initial_backoff_ms(100);
  p.set_multiplier(0.1);  // Taken as 1: the delay never shrinks.
  p.set_jitter(7);        // Clamped to 1.
  p.set_crash_loop_count(100);
  std::mt19937_64 rng(6);
  RestartTracker t(p);
  for (int i = 0; i < 100; ++i) {
    auto d = t.OnFailure(kStart + absl::Seconds(i), rng);
    REQUIRE(d.has_value());
    REQUIRE(*d <= absl::Milliseconds(100));  // max_backoff 0 is taken as the initial delay.
    REQUIRE(*d >= absl::ZeroDuration());
  }
  // crash_loop_count 0 is taken as 1: the first failure parks (fail closed).
  p.set_crash_loop_count(0);
  RestartTracker strict(p);
  CHECK_FALSE(strict.OnFailure(kStart, rng).has_value());
}

}  // namespace
}  // namespace paddock::host
