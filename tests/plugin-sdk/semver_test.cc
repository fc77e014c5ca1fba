#include "plugin-sdk/semver.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace paddock::sdk {
namespace {

SemVer V(std::string_view s) {
  absl::StatusOr<SemVer> v = ParseSemVer(s);
  REQUIRE(v.ok());
  return *v;
}

TEST_CASE("semantic versions parse strictly", "[semver]") {
  const SemVer v = V("1.22.333-rc.1+build.7");
  CHECK(v.major == 1);
  CHECK(v.minor == 22);
  CHECK(v.patch == 333);
  CHECK(v.prerelease == std::vector<std::string>{"rc", "1"});
  CHECK(v.build == "build.7");
  for (std::string_view bad :
       {"", "1", "1.2", "1.2.3.4", "01.2.3", "1.02.3", "v1.2.3", "1.2.3-", "1.2.3-01", "1.2.3-a..b",
        "1.2.3+", "1.2.3+a_b", "-1.2.3", "1.2.x", "99999999999999999999.0.0", " 1.2.3"}) {
    INFO(bad);
    CHECK_FALSE(ParseSemVer(bad).ok());
  }
  CHECK(ParseSemVer("1.2").status().message() ==
        "\"1.2\" is not a semantic version (MAJOR.MINOR.PATCH, numbers without leading zeros)");
}

TEST_CASE("semver precedence follows semver.org 11", "[semver]") {
  const std::vector<std::string_view> ordered = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
                                                 "1.0.0-beta",  "1.0.0-beta.2",  "1.0.0-beta.11",
                                                 "1.0.0-rc.1",  "1.0.0",         "1.0.1",
                                                 "1.2.0",       "1.10.0",        "2.0.0"};
  for (size_t i = 0; i + 1 < ordered.size(); ++i) {
    INFO(ordered[i] << " < " << ordered[i + 1]);
    CHECK(CompareSemVer(V(ordered[i]), V(ordered[i + 1])) < 0);
    CHECK(CompareSemVer(V(ordered[i + 1]), V(ordered[i])) > 0);
  }
  CHECK(CompareSemVer(V("1.0.0+a"), V("1.0.0+b")) == 0);
}

}  // namespace
}  // namespace paddock::sdk
