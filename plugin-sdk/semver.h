// Semantic versions (semver.org 2.0.0): parsing and precedence, for plugin versions and
// the SDK protocol version a plugin speaks. The SDK checks a manifest with it; the host
// also compares versions with it (host/manifest_validate.cc).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace paddock::sdk {

// MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD].
struct SemVer {
  uint64_t major = 0;
  uint64_t minor = 0;
  uint64_t patch = 0;
  std::vector<std::string> prerelease;  // Dot-separated identifiers; empty for a release.
  std::string build;                    // Ignored for precedence.
};

// Parses `text` strictly (no "v" prefix, no leading zeros, no empty identifiers).
// Errors say what is wrong: "\"1.2\" is not a semantic version (MAJOR.MINOR.PATCH)".
absl::StatusOr<SemVer> ParseSemVer(std::string_view text);

// Semver precedence: <0 when a < b, 0 when equal (build metadata ignored), >0 when a > b.
int CompareSemVer(const SemVer& a, const SemVer& b);

}  // namespace paddock::sdk
