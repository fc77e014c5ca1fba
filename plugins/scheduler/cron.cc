#include "cron.h"

#include <array>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace paddock::scheduler {
namespace {

constexpr int kSearchYears = 8;

struct FieldDef {
  const char* name;
  int min, max;
  const char* const* names;  // Names for min..min+n-1, or null.
  int names_count;
};

constexpr const char* kMonthNames[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                       "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr const char* kDayNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

constexpr std::array<FieldDef, 5> kFields = {{
    {"minute", 0, 59, nullptr, 0},
    {"hour", 0, 23, nullptr, 0},
    {"day-of-month", 1, 31, nullptr, 0},
    {"month", 1, 12, kMonthNames, 12},
    // 7 is accepted as Sunday and folded onto 0.
    {"day-of-week", 0, 7, kDayNames, 7},
}};

absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

absl::StatusOr<int> ParseValue(absl::string_view token, const FieldDef& f) {
  int v = 0;
  if (absl::SimpleAtoi(token, &v)) {
    if (v < f.min || v > f.max) {
      return absl::InvalidArgumentError(
          absl::StrCat(f.name, ": ", token, " is out of range ", f.min, "-", f.max));
    }
    return v;
  }
  std::string lower = absl::AsciiStrToLower(token);
  for (int i = 0; i < f.names_count; ++i) {
    if (lower == f.names[i]) return f.min + i;
  }
  return absl::InvalidArgumentError(absl::StrCat(f.name, ": \"", token, "\" is not a value"));
}

// Sets the bits of one field in `bits` (indexed by value). Returns whether it starts with '*'.
absl::StatusOr<bool> ParseField(absl::string_view text, const FieldDef& f,
                                std::vector<bool>* bits) {
  bits->assign(f.max + 1, false);
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    if (item.empty()) return absl::InvalidArgumentError(absl::StrCat(f.name, ": empty list item"));
    int step = 1;
    absl::string_view range = item;
    size_t slash = item.find('/');
    if (slash != absl::string_view::npos) {
      range = item.substr(0, slash);
      absl::string_view s = item.substr(slash + 1);
      if (!absl::SimpleAtoi(s, &step) || step <= 0 || step > f.max) {
        return absl::InvalidArgumentError(
            absl::StrCat(f.name, ": step \"", s, "\" must be a number in 1-", f.max));
      }
    }
    int lo = f.min, hi = f.max;
    if (range == "*") {
      // Whole range.
    } else {
      size_t dash = range.find('-');
      if (dash == absl::string_view::npos) {
        auto v = ParseValue(range, f);
        if (!v.ok()) return v.status();
        lo = *v;
        hi = slash == absl::string_view::npos ? *v : f.max;  // "a/n" runs to the maximum.
      } else {
        auto a = ParseValue(range.substr(0, dash), f);
        if (!a.ok()) return a.status();
        auto b = ParseValue(range.substr(dash + 1), f);
        if (!b.ok()) return b.status();
        lo = *a;
        hi = *b;
        if (lo > hi) {
          return absl::InvalidArgumentError(
              absl::StrCat(f.name, ": range ", range, " runs backwards"));
        }
      }
    }
    for (int v = lo; v <= hi; v += step) (*bits)[v] = true;
  }
  return !text.empty() && text[0] == '*';
}

std::string_view Macro(std::string_view text) {
  if (text == "@yearly" || text == "@annually") return "0 0 1 1 *";
  if (text == "@monthly") return "0 0 1 * *";
  if (text == "@weekly") return "0 0 * * 0";
  if (text == "@daily" || text == "@midnight") return "0 0 * * *";
  if (text == "@hourly") return "0 * * * *";
  return {};
}

}  // namespace

absl::StatusOr<CronExpr> CronExpr::Parse(std::string_view text) {
  std::string_view body = text;
  if (!text.empty() && text[0] == '@') {
    body = Macro(text);
    if (body.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("cron \"", Sv(text),
                       "\": unknown macro (known: @yearly @annually @monthly @weekly @daily "
                       "@midnight @hourly)"));
    }
  }
  std::vector<absl::string_view> fields = absl::StrSplit(Sv(body), ' ', absl::SkipWhitespace());
  if (fields.size() != 5) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cron \"", Sv(text), "\": need 5 fields (minute hour day-of-month month day-of-week), got ",
        fields.size()));
  }
  CronExpr e;
  e.text_ = std::string(text);
  std::vector<bool> bits;
  for (size_t i = 0; i < 5; ++i) {
    absl::StatusOr<bool> star = ParseField(fields[i], kFields[i], &bits);
    if (!star.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("cron \"", Sv(text), "\": ", star.status().message()));
    }
    for (size_t v = 0; v < bits.size(); ++v) {
      if (!bits[v]) continue;
      switch (i) {
        case 0:
          e.minutes_.set(v);
          break;
        case 1:
          e.hours_.set(v);
          break;
        case 2:
          e.days_.set(v);
          break;
        case 3:
          e.months_.set(v);
          break;
        case 4:
          e.weekdays_.set(v % 7);
          break;
      }
    }
    if (i == 2) e.days_star_ = *star;
    if (i == 4) e.weekdays_star_ = *star;
  }
  // Refuse what never fires (e.g. February 30th): search from a leap year's start.
  const int64_t from =
      absl::ToUnixNanos(absl::FromCivil(absl::CivilSecond(2000, 1, 1), absl::UTCTimeZone()));
  if (!e.Next(from - 1).ok()) {
    return absl::InvalidArgumentError(absl::StrCat("cron \"", Sv(text), "\": never fires"));
  }
  return e;
}

bool CronExpr::DayMatches(int day_of_month, int weekday_sun0) const {
  const bool dom = days_.test(day_of_month);
  const bool dow = weekdays_.test(weekday_sun0);
  if (days_star_ || weekdays_star_) return dom && dow;
  return dom || dow;
}

absl::StatusOr<int64_t> CronExpr::Next(int64_t after_unix_ns) const {
  const absl::TimeZone utc = absl::UTCTimeZone();
  const absl::Time after = absl::FromUnixNanos(after_unix_ns);
  // The next whole minute strictly after `after`.
  absl::CivilMinute m = absl::ToCivilMinute(after, utc) + 1;
  const absl::civil_year_t last_year = m.year() + kSearchYears;
  while (m.year() <= last_year) {
    if (!months_.test(m.month())) {
      m = absl::CivilMinute(absl::CivilMonth(m) + 1);
      continue;
    }
    const absl::CivilDay day(m);
    const int wd = (static_cast<int>(absl::GetWeekday(day)) + 1) % 7;  // absl: Monday = 0.
    if (!DayMatches(m.day(), wd)) {
      m = absl::CivilMinute(day + 1);
      continue;
    }
    if (!hours_.test(m.hour())) {
      m = absl::CivilMinute(absl::CivilHour(m) + 1);
      continue;
    }
    if (!minutes_.test(m.minute())) {
      m += 1;
      continue;
    }
    return absl::ToUnixNanos(absl::FromCivil(m, utc));
  }
  return absl::NotFoundError(
      absl::StrCat("cron \"", text_, "\": no firing time within ", kSearchYears, " years"));
}

}  // namespace paddock::scheduler
