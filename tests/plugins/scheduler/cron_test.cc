// Cron parsing and next-time arithmetic (UTC), and a cron task's timer thread firing on the
// right minute boundaries against a simulated clock.
#include "cron.h"

#include <catch2/catch.hpp>
#include <thread>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "fake_clock.h"
#include "task_runner.h"

namespace paddock::scheduler {
namespace {

int64_t At(int y, int mo, int d, int h, int mi, int s = 0) {
  return absl::ToUnixNanos(
      absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), absl::UTCTimeZone()));
}

std::string Show(int64_t ns) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S %a", absl::FromUnixNanos(ns), absl::UTCTimeZone());
}

int64_t NextOf(const std::string& expr, int64_t after) {
  absl::StatusOr<CronExpr> e = CronExpr::Parse(expr);
  INFO(expr << ": " << e.status().ToString());
  REQUIRE(e.ok());
  absl::StatusOr<int64_t> n = e->Next(after);
  REQUIRE(n.ok());
  return *n;
}

TEST_CASE("cron: next firing times") {
  const int64_t t = At(2024, 3, 10, 12, 34, 56);  // A Sunday.
  CHECK(Show(NextOf("* * * * *", t)) == Show(At(2024, 3, 10, 12, 35)));
  CHECK(Show(NextOf("*/15 * * * *", t)) == Show(At(2024, 3, 10, 12, 45)));
  CHECK(Show(NextOf("0 * * * *", t)) == Show(At(2024, 3, 10, 13, 0)));
  CHECK(Show(NextOf("30 2 * * *", t)) == Show(At(2024, 3, 11, 2, 30)));
  CHECK(Show(NextOf("0 9 * * mon-fri", t)) == Show(At(2024, 3, 11, 9, 0)));
  CHECK(Show(NextOf("0 0 1 * *", t)) == Show(At(2024, 4, 1, 0, 0)));
  CHECK(Show(NextOf("0 0 29 2 *", t)) == Show(At(2028, 2, 29, 0, 0)));
  CHECK(Show(NextOf("5,10 8-9 * jan,MAR *", t)) == Show(At(2024, 3, 11, 8, 5)));
  CHECK(Show(NextOf("0 12 * * 7", t)) == Show(At(2024, 3, 17, 12, 0)));  // 7 = Sunday.
  CHECK(Show(NextOf("@hourly", t)) == Show(At(2024, 3, 10, 13, 0)));
  CHECK(Show(NextOf("@daily", t)) == Show(At(2024, 3, 11, 0, 0)));
  CHECK(Show(NextOf("@weekly", t)) == Show(At(2024, 3, 17, 0, 0)));
  CHECK(Show(NextOf("@yearly", t)) == Show(At(2025, 1, 1, 0, 0)));
  CHECK(Show(NextOf("10-50/20 * * * *", t)) == Show(At(2024, 3, 10, 12, 50)));
  CHECK(Show(NextOf("50/5 * * * *", t)) == Show(At(2024, 3, 10, 12, 50)));
  // Strictly after: a time exactly on a firing minute gives the following one.
  CHECK(Show(NextOf("*/15 * * * *", At(2024, 3, 10, 12, 45))) == Show(At(2024, 3, 10, 13, 0)));
  // Both day fields restricted: either matches (the 13th, or any Friday).
  CHECK(Show(NextOf("0 0 13 * fri", t)) == Show(At(2024, 3, 13, 0, 0)));
  CHECK(Show(NextOf("0 0 13 * fri", At(2024, 3, 13, 1, 0))) == Show(At(2024, 3, 15, 0, 0)));
  // A '*'-led weekday field counts as unrestricted: both must match (a Sunday the 13th).
  CHECK(Show(NextOf("0 0 13 * */7", t)) == Show(At(2024, 10, 13, 0, 0)));
}

TEST_CASE("cron: bad expressions are refused with the field and the reason") {
  auto err = [](const std::string& expr) {
    absl::StatusOr<CronExpr> e = CronExpr::Parse(expr);
    REQUIRE_FALSE(e.ok());
    CHECK(e.status().code() == absl::StatusCode::kInvalidArgument);
    return std::string(e.status().message());
  };
  CHECK_THAT(err("61 * * * *"), Catch::Contains("minute: 61 is out of range 0-59"));
  CHECK_THAT(err("* 24 * * *"), Catch::Contains("hour: 24 is out of range 0-23"));
  CHECK_THAT(err("* * 0 * *"), Catch::Contains("day-of-month: 0 is out of range 1-31"));
  CHECK_THAT(err("* * * 13 *"), Catch::Contains("month"));
  CHECK_THAT(err("* * * * 8"), Catch::Contains("day-of-week"));
  CHECK_THAT(err("* * * *"), Catch::Contains("need 5 fields"));
  CHECK_THAT(err("* * * * * *"), Catch::Contains("got 6"));
  CHECK_THAT(err(""), Catch::Contains("need 5 fields"));
  CHECK_THAT(err("*/0 * * * *"), Catch::Contains("step"));
  CHECK_THAT(err("30-10 * * * *"), Catch::Contains("runs backwards"));
  CHECK_THAT(err("a * * * *"), Catch::Contains("is not a value"));
  CHECK_THAT(err("1,,2 * * * *"), Catch::Contains("empty list item"));
  CHECK_THAT(err("@often"), Catch::Contains("unknown macro"));
  CHECK_THAT(err("0 0 30 2 *"), Catch::Contains("never fires"));
  CHECK_THAT(err("0 0 31 4,6 *"), Catch::Contains("never fires"));
}

TEST_CASE("cron: a cron task's timer fires on minute boundaries (simulated clock)") {
  // Wall time 2024-03-10 12:34:56.5 UTC; the simulated clock lets time run to 13:31.
  const int64_t start = At(2024, 3, 10, 12, 34, 56) + 500'000'000;
  testing::FakeClock clock(/*mono_ns=*/1'000'000'000, start);
  TickSignal signal;
  RunnerDeps deps;
  deps.clock = &clock;
  deps.signal = &signal;
  v1::TaskSpec spec;
  spec.set_name("quarter");
  spec.mutable_cron()->set_expression("*/15 * * * *");
  absl::StatusOr<std::unique_ptr<TaskRunner>> runner = TaskRunner::Start(spec, deps);
  REQUIRE(runner.ok());
  clock.AllowUntilReal(At(2024, 3, 10, 13, 31));
  const TickRing& ring = (*runner)->ring();
  for (int i = 0; i < 500 && ring.published() < 4; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  (*runner)->Stop();
  REQUIRE(ring.published() == 4);  // 12:45, 13:00, 13:15, 13:30 and nothing past the horizon.
  const int64_t expected[] = {At(2024, 3, 10, 12, 45), At(2024, 3, 10, 13, 0),
                              At(2024, 3, 10, 13, 15), At(2024, 3, 10, 13, 30)};
  for (uint64_t i = 0; i < 4; ++i) {
    TickRecord r;
    REQUIRE(ring.Read(i, &r) == TickRing::ReadResult::kOk);
    CHECK(Show(r.scheduled_ns) == Show(expected[i]));
    CHECK(r.actual_ns == r.scheduled_ns);  // The simulated clock wakes exactly on time.
    CHECK(r.sequence == i);
    CHECK(r.missed_before == 0);
  }
  CHECK((*runner)->Stats().ticks == 4);
}

}  // namespace
}  // namespace paddock::scheduler
