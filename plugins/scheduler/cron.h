// 5-field cron expressions (minute hour day-of-month month day-of-week), evaluated in UTC.
#pragma once

#include <bitset>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace paddock::scheduler {

// A parsed expression. Immutable; thread-safe.
//
// Syntax per field: `*`, a number, a range `a-b`, a step `*/n`, `a-b/n` or `a/n` (a to the
// field's maximum), and comma lists of those. Months accept jan..dec, weekdays sun..sat
// (case-insensitive); weekday 7 is Sunday like 0. Macros: @yearly @annually @monthly
// @weekly @daily @midnight @hourly. As in Vixie cron, when both day-of-month and
// day-of-week are restricted (neither starts with `*`) a day matching either fires;
// otherwise a day must match both.
class CronExpr {
 public:
  // Parses `text`. InvalidArgument names the field and the problem, e.g.
  // `cron "61 * * * *": minute: 61 is out of range 0-59`; an expression that can never fire
  // (e.g. "0 0 30 2 *") is refused too.
  static absl::StatusOr<CronExpr> Parse(std::string_view text);

  // The first firing time strictly after `after_unix_ns` (nanoseconds since the Unix epoch),
  // at the start of a minute. NotFound if none within 8 years (cannot happen for an
  // expression Parse accepted unless `after` is near the end of time).
  absl::StatusOr<int64_t> Next(int64_t after_unix_ns) const;

  const std::string& text() const { return text_; }

 private:
  CronExpr() = default;
  bool DayMatches(int day_of_month, int weekday_sun0) const;

  std::string text_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;     // 1..31
  std::bitset<13> months_;   // 1..12
  std::bitset<7> weekdays_;  // 0 = Sunday
  bool days_star_ = false;
  bool weekdays_star_ = false;
};

}  // namespace paddock::scheduler
