#include "syslog_time.h"

namespace paddock::logagg {
namespace {

constexpr int64_t kNsPerSec = 1'000'000'000;
constexpr int64_t kSecPerDay = 86400;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly `n` digits at p (bounds-checked); returns false otherwise.
bool Digits(const char* p, const char* end, int n, int* out) {
  if (end - p < n) return false;
  int v = 0;
  for (int i = 0; i < n; ++i) {
    if (!IsDigit(p[i])) return false;
    v = v * 10 + (p[i] - '0');
  }
  *out = v;
  return true;
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Reads ".ddd" (1..max_digits digits) if present; returns the position after it, scaling
// the fraction to nanoseconds. Returns nullptr on "." without digits or too many digits.
const char* Fraction(const char* p, const char* end, int max_digits, int64_t* frac_ns) {
  *frac_ns = 0;
  if (p >= end || *p != '.') return p;
  ++p;
  int n = 0;
  int64_t v = 0;
  while (p < end && IsDigit(*p)) {
    if (++n > max_digits) return nullptr;
    v = v * 10 + (*p - '0');
    ++p;
  }
  if (n == 0) return nullptr;
  for (int i = n; i < 9; ++i) v *= 10;
  *frac_ns = v;
  return p;
}

int MonthFromName(const char* p) {
  static constexpr char kNames[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  for (int m = 0; m < 12; ++m) {
    const char* n = kNames + 3 * m;
    if (p[0] == n[0] && p[1] == n[1] && p[2] == n[2]) return m + 1;
  }
  return 0;
}

int64_t ToNs(int64_t days, int h, int mi, int s, int64_t frac_ns) {
  return ((days * kSecPerDay) + h * 3600 + mi * 60 + s) * kNsPerSec + frac_ns;
}

}  // namespace

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  // Howard Hinnant's days_from_civil.
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

int YearOf(int64_t unix_ns) {
  int64_t days = unix_ns / kNsPerSec / kSecPerDay;
  if (unix_ns < 0 && (unix_ns % (kNsPerSec * kSecPerDay)) != 0) --days;
  // Hinnant's civil_from_days, year only.
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400 + (mp >= 10 ? 1 : 0);
  return static_cast<int>(y);
}

const char* ParseRfc3339(const char* p, const char* end, int64_t* ns) {
  int y, mo, d, h, mi, s;
  if (!Digits(p, end, 4, &y) || end - p < 19) return nullptr;
  if (p[4] != '-' || !Digits(p + 5, end, 2, &mo) || p[7] != '-' || !Digits(p + 8, end, 2, &d))
    return nullptr;
  if ((p[10] != 'T' && p[10] != 't') || !Digits(p + 11, end, 2, &h) || p[13] != ':' ||
      !Digits(p + 14, end, 2, &mi) || p[16] != ':' || !Digits(p + 17, end, 2, &s))
    return nullptr;
  if (mo < 1 || mo > 12 || d < 1 || d > static_cast<int>(DaysInMonth(y, mo)) || h > 23 || mi > 59 ||
      s > 59)
    return nullptr;
  // int64 nanoseconds since 1970 span 1677-09-21 to 2262-04-11: outside whole years that
  // fit, the time is out of range (the arithmetic below would overflow).
  if (y < 1678 || y > 2261) return nullptr;
  int64_t frac = 0;
  p = Fraction(p + 19, end, 9, &frac);
  if (p == nullptr || p >= end) return nullptr;
  int64_t offset_s = 0;
  if (*p == 'Z' || *p == 'z') {
    ++p;
  } else if (*p == '+' || *p == '-') {
    int oh, om;
    if (!Digits(p + 1, end, 2, &oh) || end - p < 6 || p[3] != ':' || !Digits(p + 4, end, 2, &om) ||
        oh > 23 || om > 59)
      return nullptr;
    offset_s = (oh * 3600 + om * 60) * (*p == '+' ? 1 : -1);
    p += 6;
  } else {
    return nullptr;
  }
  *ns = ToNs(DaysFromCivil(y, mo, d), h, mi, s, frac) - offset_s * kNsPerSec;
  return p;
}

const char* ParseBsdTimestamp(const char* p, const char* end, int64_t recv_ns, int recv_year,
                              int64_t* ns) {
  if (end - p < 14) return nullptr;  // Shortest: "Mmm d hh:mm:ss".
  int mo = MonthFromName(p);
  if (mo == 0 || p[3] != ' ') return nullptr;
  p += 4;
  int d;
  if (p[0] == ' ' && IsDigit(p[1])) {
    d = p[1] - '0';
    p += 2;
  } else if (IsDigit(p[0]) && IsDigit(p[1])) {
    d = (p[0] - '0') * 10 + (p[1] - '0');
    p += 2;
  } else if (IsDigit(p[0])) {
    d = p[0] - '0';
    p += 1;
  } else {
    return nullptr;
  }
  int h, mi, s;
  if (end - p < 9 || p[0] != ' ' || !Digits(p + 1, end, 2, &h) || p[3] != ':' ||
      !Digits(p + 4, end, 2, &mi) || p[6] != ':' || !Digits(p + 7, end, 2, &s))
    return nullptr;
  if (d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return nullptr;
  if (s == 60) s = 59;  // A leap second some senders emit; keep it in its minute.
  int64_t frac = 0;
  p = Fraction(p + 9, end, 6, &frac);
  if (p == nullptr) return nullptr;
  // Feb 29 only exists in leap years; pick the candidate year first, then check the day.
  constexpr int64_t kDayNs = kSecPerDay * kNsPerSec;
  auto at = [&](int64_t year) { return ToNs(DaysFromCivil(year, mo, d), h, mi, s, frac); };
  int64_t year = recv_year;
  int64_t t = at(year);
  if (t > recv_ns + 31 * kDayNs) {
    --year;
  } else if (t < recv_ns - 334 * kDayNs) {
    ++year;
  }
  if (d > static_cast<int>(DaysInMonth(year, mo))) return nullptr;
  *ns = at(year);
  return p;
}

}  // namespace paddock::logagg
