#include "plugin-sdk/zombie_tracker.h"

#include <catch2/catch.hpp>

namespace paddock::sdk {
namespace {

using Pids = std::vector<pid_t>;

TEST_CASE("zombie tracker: a zombie is due only after the grace since first seen") {
  ZombieTracker t(1000);
  CHECK(t.NextDueIn(0) == -1);
  CHECK(t.Due(100, {7}).empty());
  CHECK(t.NextDueIn(100) == 1000);
  CHECK(t.Due(600, {7, 9}).empty());  // 9 is new at 600.
  CHECK(t.NextDueIn(600) == 500);
  CHECK(t.Due(1099, {7, 9}).empty());
  CHECK(t.Due(1100, {7, 9}) == Pids{7});
  CHECK(t.tracked() == 1);
  CHECK(t.NextDueIn(1100) == 500);
  CHECK(t.Due(1700, {9}) == Pids{9});
  CHECK(t.tracked() == 0);
  CHECK(t.NextDueIn(1700) == -1);
}

TEST_CASE("zombie tracker: a pid that stops being a zombie is forgotten") {
  // Reaped by the plugin itself, then the pid reused by a child that died later: its grace
  // starts again.
  ZombieTracker t(1000);
  CHECK(t.Due(0, {5}).empty());
  CHECK(t.Due(500, {}).empty());
  CHECK(t.tracked() == 0);
  CHECK(t.Due(900, {5}).empty());
  CHECK(t.Due(1500, {5}).empty());
  CHECK(t.Due(1900, {5}) == Pids{5});
}

TEST_CASE("zombie tracker: overdue answers 0, duplicates are reported once") {
  ZombieTracker t(10);
  CHECK(t.Due(0, {3, 3, 4}).empty());
  CHECK(t.NextDueIn(50) == 0);
  CHECK(t.Due(50, {4, 3, 3}) == Pids{3, 4});
}

TEST_CASE("zombie tracker: zero grace reaps at first sight") {
  ZombieTracker t(0);
  CHECK(t.Due(5, {2}) == Pids{2});
}

}  // namespace
}  // namespace paddock::sdk
