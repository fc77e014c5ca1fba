#include "syslog_time.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <string>

#include "test_util.h"

namespace paddock::logagg {
namespace {

using testing::Utc;

int64_t Rfc3339(const std::string& s, size_t* used = nullptr) {
  int64_t ns = -1;
  const char* end = ParseRfc3339(s.data(), s.data() + s.size(), &ns);
  if (end == nullptr) return -1;
  if (used) *used = static_cast<size_t>(end - s.data());
  return ns;
}

int64_t Bsd(const std::string& s, int64_t recv) {
  int64_t ns = -1;
  const char* end = ParseBsdTimestamp(s.data(), s.data() + s.size(), recv, YearOf(recv), &ns);
  return end == nullptr ? -1 : ns;
}

}  // namespace

TEST_CASE("DaysFromCivil and YearOf agree with known dates", "[time]") {
  REQUIRE(DaysFromCivil(1970, 1, 1) == 0);
  REQUIRE(DaysFromCivil(2000, 3, 1) == 11017);
  REQUIRE(YearOf(0) == 1970);
  REQUIRE(YearOf(Utc(2023, 12, 31, 23, 59, 59)) == 2023);
  REQUIRE(YearOf(Utc(2024, 1, 1, 0, 0, 0)) == 2024);
  REQUIRE(YearOf(Utc(1969, 12, 31, 23, 0, 0)) == 1969);
}

TEST_CASE("RFC 3339 timestamps from RFC 5424's examples", "[time]") {
  // RFC 5424 section 6.2.3.1.
  REQUIRE(Rfc3339("1985-04-12T23:20:50.52Z") == Utc(1985, 4, 12, 23, 20, 50, 520'000'000));
  REQUIRE(Rfc3339("1985-04-12T19:20:50.52-04:00") == Utc(1985, 4, 12, 23, 20, 50, 520'000'000));
  REQUIRE(Rfc3339("2003-10-11T22:14:15.003Z") == Utc(2003, 10, 11, 22, 14, 15, 3'000'000));
  REQUIRE(Rfc3339("2003-08-24T05:14:15.000003-07:00") == Utc(2003, 8, 24, 12, 14, 15, 3'000));
  REQUIRE(Rfc3339("2024-02-29t00:00:00z") == Utc(2024, 2, 29, 0, 0, 0));
  size_t used = 0;
  REQUIRE(Rfc3339("2003-10-11T22:14:15Z host", &used) == Utc(2003, 10, 11, 22, 14, 15));
  REQUIRE(used == 20);
}

TEST_CASE("RFC 3339 violations are refused", "[time]") {
  for (const char* bad : {"", "2003", "2003-10-11", "2003-10-11T22:14:15", "2003-13-11T22:14:15Z",
                          "2003-02-29T00:00:00Z", "2003-10-11T24:00:00Z", "2003-10-11T23:60:00Z",
                          "2003-10-11T22:14:15.Z", "2003-10-11T22:14:15.0123456789Z",
                          "2003-10-11T22:14:15+0700", "2003-10-11T22:14:15+25:00",
                          "2003-10-11 22:14:15Z", "2003-10-00T22:14:15Z", "abcd-10-11T22:14:15Z"}) {
    INFO(bad);
    REQUIRE(Rfc3339(bad) == -1);
  }
}

TEST_CASE("RFC 3339 years that int64 nanoseconds cannot hold are refused", "[time]") {
  // Found by tests/fuzz/syslog_fuzz.cc (UBSan: signed overflow in the ns arithmetic).
  REQUIRE(Rfc3339("2803-10-11T22:14:15.003Z") == -1);
  REQUIRE(Rfc3339("9999-12-31T23:59:59Z") == -1);
  REQUIRE(Rfc3339("0001-01-01T00:00:00Z") == -1);
  REQUIRE(Rfc3339("2261-12-31T23:59:59+00:00") == Utc(2261, 12, 31, 23, 59, 59));
  REQUIRE(Rfc3339("1678-01-01T00:00:00Z") == Utc(1678, 1, 1, 0, 0, 0));
}

TEST_CASE("BSD timestamps take the year closest to the receive time", "[time]") {
  int64_t recv = Utc(2024, 3, 15, 12, 0, 0);
  REQUIRE(Bsd("Mar 15 11:59:58", recv) == Utc(2024, 3, 15, 11, 59, 58));
  REQUIRE(Bsd("Feb  5 17:32:18", recv) == Utc(2024, 2, 5, 17, 32, 18));
  REQUIRE(Bsd("Feb 05 17:32:18", recv) == Utc(2024, 2, 5, 17, 32, 18));
  REQUIRE(Bsd("Feb 5 17:32:18", recv) == Utc(2024, 2, 5, 17, 32, 18));
  REQUIRE(Bsd("Mar  1 00:05:39.123", recv) == Utc(2024, 3, 1, 0, 5, 39, 123'000'000));
  // Received on New Year's day, sent on New Year's eve: last year.
  REQUIRE(Bsd("Dec 31 23:59:59", Utc(2024, 1, 1, 0, 0, 1)) == Utc(2023, 12, 31, 23, 59, 59));
  // A sender whose clock is ahead across New Year: next year.
  REQUIRE(Bsd("Jan  1 00:00:02", Utc(2023, 12, 31, 23, 59, 59)) == Utc(2024, 1, 1, 0, 0, 2));
  // Feb 29 only in leap years.
  REQUIRE(Bsd("Feb 29 10:00:00", recv) == Utc(2024, 2, 29, 10, 0, 0));
  REQUIRE(Bsd("Feb 29 10:00:00", Utc(2023, 3, 15, 0, 0, 0)) == -1);
  // A leap second stays in its minute.
  REQUIRE(Bsd("Mar 15 11:59:60", recv) == Utc(2024, 3, 15, 11, 59, 59));
}

TEST_CASE("BSD timestamp violations are refused", "[time]") {
  int64_t recv = Utc(2024, 3, 15, 12, 0, 0);
  for (const char* bad : {"", "Mar 15", "Foo 15 11:59:58", "mar 15 11:59:58", "Mar 32 11:59:58",
                          "Mar 15 25:00:00", "Mar 15 11:61:00", "Mar 15 11:59", "Mar  0 11:59:58",
                          "Mar 15 11:59:58.", "Mar15 11:59:58", "Mar 15 11-59-58"}) {
    INFO(bad);
    REQUIRE(Bsd(bad, recv) == -1);
  }
}

}  // namespace paddock::logagg
