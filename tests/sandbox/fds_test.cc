// FdPlan validation (the child side is exercised through launcher_test.cc).
#include "sandbox/fds.h"

#include <catch2/catch.hpp>

namespace paddock::sandbox {
namespace {

TEST_CASE("fd plans refuse bad mappings") {
  REQUIRE(FdPlan::Create({}).ok());
  REQUIRE(FdPlan::Create({{4, 3}, {3, 4}}).ok());
  REQUIRE(FdPlan::Create({{-1, 3}}).status().code() == absl::StatusCode::kInvalidArgument);
  REQUIRE(FdPlan::Create({{3, -1}}).status().code() == absl::StatusCode::kInvalidArgument);
  REQUIRE(FdPlan::Create({{3, kMaxTargetFd + 1}}).status().code() ==
          absl::StatusCode::kInvalidArgument);
  REQUIRE(FdPlan::Create({{3, 5}, {4, 5}}).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("internal descriptors are tracked by slot") {
  absl::StatusOr<FdPlan> plan = FdPlan::Create({{10, 3}});
  REQUIRE(plan.ok());
  REQUIRE(plan->internal(kExecFd) == -1);
  plan->SetInternal(kExecFd, 42);
  REQUIRE(plan->internal(kExecFd) == 42);
}

}  // namespace
}  // namespace paddock::sandbox
