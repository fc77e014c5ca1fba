// Timestamps of syslog headers: RFC 3339 (RFC 5424's TIMESTAMP) and the BSD "Mmm dd
// hh:mm:ss" of RFC 3164. Pure functions over byte ranges; no allocation, no locale, no tz
// database (the sandbox has none): BSD times are read as UTC.
#pragma once

#include <cstdint>

namespace paddock::logagg {

// Days since 1970-01-01 of a proleptic Gregorian date (month 1-12, day 1-31; not checked).
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);

// The UTC year of a unix time in nanoseconds.
int YearOf(int64_t unix_ns);

// Parses an RFC 3339 date-time at [p, end): "YYYY-MM-DDTHH:MM:SS[.1-9 digits](Z|+HH:MM|-HH:MM)"
// ('t' and 'z' accepted in lower case). On success stores the UTC unix time in nanoseconds
// (fractions past 9 digits are not accepted) in *ns and returns the position after it; on
// any violation (including out-of-range fields such as month 13 or 23:60, and years
// outside 1678..2261, which int64 nanoseconds cannot hold) returns nullptr.
const char* ParseRfc3339(const char* p, const char* end, int64_t* ns);

// Parses a BSD timestamp at [p, end): "Mmm dd hh:mm:ss" with the day as " 5", "05" or "5",
// optionally followed by ".f" (1-6 fraction digits, as some routers send). The year is the
// one of `recv_ns` unless that puts the time more than 31 days after `recv_ns` (then the year
// before) or more than 334 days before it (then the year after). Stores UTC nanoseconds in
// *ns and returns the position after the timestamp, or nullptr.
const char* ParseBsdTimestamp(const char* p, const char* end, int64_t recv_ns, int recv_year,
                              int64_t* ns);

}  // namespace paddock::logagg
