#include "sandbox/caps.h"

#include <linux/capability.h>

#include <catch2/catch.hpp>

namespace paddock::sandbox {
namespace {

TEST_CASE("capability names map both ways") {
  CHECK(*CapabilityFromName("CAP_NET_ADMIN") == CAP_NET_ADMIN);
  CHECK(*CapabilityFromName("cap_bpf") == CAP_BPF);
  CHECK(*CapabilityFromName("perfmon") == CAP_PERFMON);
  CHECK(CapabilityFromName("CAP_EVERYTHING").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(CapabilityFromName("").status().code() == absl::StatusCode::kInvalidArgument);
  for (int cap = 0; cap <= CAP_LAST_CAP; ++cap) {
    INFO(cap);
    CHECK(*CapabilityFromName(CapabilityName(cap)) == cap);
  }
  CHECK(CapabilityName(63) == "CAP_63");
}

TEST_CASE("cap plans keep exactly the asked capabilities") {
  absl::StatusOr<CapPlan> none = CapPlan::Create({});
  REQUIRE(none.ok());
  CHECK(none->mask() == 0);
  absl::StatusOr<CapPlan> some = CapPlan::Create({CAP_BPF, CAP_NET_ADMIN, CAP_BPF});
  REQUIRE(some.ok());
  CHECK(some->mask() == ((uint64_t{1} << CAP_BPF) | (uint64_t{1} << CAP_NET_ADMIN)));
  CHECK(CapPlan::Create({-1}).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(CapPlan::Create({63}).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(*LastCapability() >= CAP_BPF);
}

}  // namespace
}  // namespace paddock::sandbox
