// Deadline arithmetic of periodic (grid, phase), one-shot and cron schedules.
#include "schedule.h"

#include <catch2/catch.hpp>

#include "google/protobuf/util/time_util.h"

namespace paddock::scheduler {
namespace {

Schedule Periodic(uint64_t interval_us, uint64_t phase_us) {
  v1::TaskSpec spec;
  spec.mutable_periodic()->set_interval_us(interval_us);
  spec.mutable_periodic()->set_phase_us(phase_us);
  absl::StatusOr<Schedule> s = Schedule::FromSpec(spec);
  REQUIRE(s.ok());
  return *s;
}

TEST_CASE("periodic: deadlines sit on a grid fixed to the monotonic clock, with a phase") {
  Schedule s = Periodic(1000, 250);  // 1 ms, phase 250 us.
  CHECK(s.clock() == ClockId::kMonotonic);
  CHECK(s.First(0) == 250'000);
  CHECK(s.First(250'000) == 1'250'000);  // Strictly after now.
  CHECK(s.First(250'001) == 1'250'000);
  CHECK(s.First(5'100'000) == 5'250'000);
  CHECK(s.First(5'250'000 - 1) == 5'250'000);
  CHECK(s.First(-1) == 250'000);
  CHECK(s.First(-800'000) == 250'000 - 1'000'000);
  CHECK(s.After(5'250'000) == 6'250'000);
  // Every deadline is phase mod interval.
  for (int64_t now : {int64_t{123456789}, int64_t{987654321012}, int64_t{1}}) {
    auto d = s.First(now);
    REQUIRE(d);
    CHECK(*d > now);
    CHECK(*d - now <= 1'000'000);
    CHECK(*d % 1'000'000 == 250'000);
  }
}

TEST_CASE("periodic: the latest due deadline and how many it passes over") {
  Schedule s = Periodic(1000, 0);
  CHECK(s.LatestDue(1'000'000, 999'999) == std::pair<int64_t, uint64_t>{1'000'000, 0});
  CHECK(s.LatestDue(1'000'000, 1'000'000) == std::pair<int64_t, uint64_t>{1'000'000, 0});
  CHECK(s.LatestDue(1'000'000, 1'999'999) == std::pair<int64_t, uint64_t>{1'000'000, 0});
  CHECK(s.LatestDue(1'000'000, 4'500'000) == std::pair<int64_t, uint64_t>{4'000'000, 3});
}

TEST_CASE("one-shot: one deadline on the wall clock, then none") {
  v1::TaskSpec spec;
  *spec.mutable_one_shot()->mutable_at() =
      google::protobuf::util::TimeUtil::NanosecondsToTimestamp(1'700'000'000'000'000'000);
  absl::StatusOr<Schedule> s = Schedule::FromSpec(spec);
  REQUIRE(s.ok());
  CHECK(s->clock() == ClockId::kRealtime);
  CHECK(s->First(1'600'000'000'000'000'000) == 1'700'000'000'000'000'000);
  CHECK(s->First(1'800'000'000'000'000'000) == 1'700'000'000'000'000'000);  // Past: fires at once.
  CHECK_FALSE(s->After(1'700'000'000'000'000'000).has_value());
}

TEST_CASE("cron: latest due deadline scans the minutes that passed") {
  v1::TaskSpec spec;
  spec.mutable_cron()->set_expression("* * * * *");
  absl::StatusOr<Schedule> s = Schedule::FromSpec(spec);
  REQUIRE(s.ok());
  const int64_t m = 60'000'000'000;
  const int64_t base = 1'700'000'040 * int64_t{1'000'000'000};  // A whole minute.
  CHECK(s->LatestDue(base, base + 3 * m + 5) == std::pair<int64_t, uint64_t>{base + 3 * m, 3});
  CHECK(s->LatestDue(base, base + 10 * m, /*max_scan=*/4).second == 4);
}

TEST_CASE("a spec without a schedule has none") {
  CHECK(Schedule::FromSpec(v1::TaskSpec()).status().code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace paddock::scheduler
