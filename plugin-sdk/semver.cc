#include "plugin-sdk/semver.h"

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "plugin-sdk/json.h"

namespace paddock::sdk {
namespace {

bool AllDigits(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool IsIdentifier(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool ok =
        (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
    if (!ok) return false;
  }
  return true;
}

// A numeric core part: digits, no leading zero, fits in 64 bits.
bool ParseNumber(absl::string_view s, uint64_t* out) {
  if (!AllDigits(s) || (s.size() > 1 && s[0] == '0')) return false;
  return absl::SimpleAtoi(s, out);
}

int CompareIdentifier(const std::string& a, const std::string& b) {
  const bool an = AllDigits(a);
  const bool bn = AllDigits(b);
  if (an && bn) {
    // Numeric identifiers compare as numbers; without leading zeros, longer is larger.
    if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
    return a.compare(b) < 0 ? -1 : (a == b ? 0 : 1);
  }
  if (an != bn) return an ? -1 : 1;  // Numeric identifiers sort before alphanumeric ones.
  return a.compare(b) < 0 ? -1 : (a == b ? 0 : 1);
}

}  // namespace

absl::StatusOr<SemVer> ParseSemVer(std::string_view text_in) {
  const absl::string_view text(text_in.data(), text_in.size());
  std::string quoted;
  AppendJsonString(&quoted, text_in, 66);
  const auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat(quoted, " is not a semantic version (", why, ")"));
  };
  SemVer v;
  absl::string_view rest = text;
  if (const size_t plus = rest.find('+'); plus != absl::string_view::npos) {
    const absl::string_view build = rest.substr(plus + 1);
    for (absl::string_view id : absl::StrSplit(build, '.')) {
      if (!IsIdentifier(id)) return bad("bad build metadata after '+'");
    }
    v.build = std::string(build);
    rest = rest.substr(0, plus);
  }
  if (const size_t dash = rest.find('-'); dash != absl::string_view::npos) {
    for (absl::string_view id : absl::StrSplit(rest.substr(dash + 1), '.')) {
      if (!IsIdentifier(id) || (AllDigits(id) && id.size() > 1 && id[0] == '0')) {
        return bad("bad pre-release after '-'");
      }
      v.prerelease.emplace_back(id);
    }
    rest = rest.substr(0, dash);
  }
  const std::vector<absl::string_view> core = absl::StrSplit(rest, '.');
  if (core.size() != 3 || !ParseNumber(core[0], &v.major) || !ParseNumber(core[1], &v.minor) ||
      !ParseNumber(core[2], &v.patch)) {
    return bad("MAJOR.MINOR.PATCH, numbers without leading zeros");
  }
  return v;
}

int CompareSemVer(const SemVer& a, const SemVer& b) {
  if (a.major != b.major) return a.major < b.major ? -1 : 1;
  if (a.minor != b.minor) return a.minor < b.minor ? -1 : 1;
  if (a.patch != b.patch) return a.patch < b.patch ? -1 : 1;
  // A pre-release sorts before the release.
  if (a.prerelease.empty() != b.prerelease.empty()) return a.prerelease.empty() ? 1 : -1;
  for (size_t i = 0; i < a.prerelease.size() && i < b.prerelease.size(); ++i) {
    if (const int c = CompareIdentifier(a.prerelease[i], b.prerelease[i]); c != 0) return c;
  }
  if (a.prerelease.size() != b.prerelease.size()) {
    return a.prerelease.size() < b.prerelease.size() ? -1 : 1;
  }
  return 0;
}

}  // namespace paddock::sdk
