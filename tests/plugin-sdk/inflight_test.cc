// Tests of the in-flight call counter behind Drain.
#include "plugin-sdk/inflight.h"

#include <catch2/catch.hpp>
#include <thread>

namespace paddock::sdk {
namespace {

TEST_CASE("WaitIdle returns at once when idle, at the deadline when busy", "[inflight]") {
  InflightTracker t;
  CHECK(t.WaitIdle(absl::Now() + absl::Seconds(10)) == 0);
  t.Begin();
  t.Begin();
  CHECK(t.count() == 2);
  const absl::Time t0 = absl::Now();
  CHECK(t.WaitIdle(t0 + absl::Milliseconds(50)) == 2);
  CHECK(absl::Now() - t0 >= absl::Milliseconds(50));
}

TEST_CASE("WaitIdle wakes when the last call ends", "[inflight]") {
  InflightTracker t;
  t.Begin();
  std::thread ender([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    t.End();
  });
  const absl::Time t0 = absl::Now();
  CHECK(t.WaitIdle(t0 + absl::Seconds(10)) == 0);
  CHECK(absl::Now() - t0 < absl::Seconds(5));
  ender.join();
}

}  // namespace
}  // namespace paddock::sdk
