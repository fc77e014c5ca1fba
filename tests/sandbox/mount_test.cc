// MountPlan validation (parent side, no privileges needed). The mounts themselves are
// exercised from inside a confined child in confine_test.cc.
#include "sandbox/mount.h"

#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "absl/strings/match.h"
#include "test_util.h"

namespace paddock::sandbox {
namespace {

absl::Status PlanWith(const std::string& root, std::vector<BindMount> binds, ElfDeps deps = {}) {
  Policy policy;
  policy.root_dir = root;
  policy.binds = std::move(binds);
  return MountPlan::Create(policy, deps).status();
}

TEST_CASE("mount plans accept a clean layout and describe it") {
  testing::TempDir root, run;
  ElfDeps deps;
  deps.interpreter = "/lib64/ld-linux-x86-64.so.2";
  deps.libraries = {"/lib/x86_64-linux-gnu/libc.so.6"};
  Policy policy;
  policy.root_dir = root.path() + "/";  // A trailing slash is fine.
  policy.binds = {{run.path(), "/run", true}};
  absl::StatusOr<MountPlan> plan = MountPlan::Create(policy, deps);
  REQUIRE(plan.ok());
  std::vector<std::string> summary = plan->Summary();
  CHECK(summary.front() == "/ tmpfs (ro)");
  CHECK(std::find(summary.begin(), summary.end(), "/run (rw)") != summary.end());
  CHECK(std::find(summary.begin(), summary.end(), "/lib/x86_64-linux-gnu/libc.so.6 (ro)") !=
        summary.end());
  CHECK(std::find(summary.begin(), summary.end(), "/dev/null (ro)") != summary.end());
  CHECK(plan->Describe(0) == "/lib/x86_64-linux-gnu/libc.so.6 -> /lib/x86_64-linux-gnu/libc.so.6");
  CHECK(plan->Describe(99).empty());
}

TEST_CASE("the bpf syscall group brings the kernel's BTF and CPU mask, read-only") {
  testing::TempDir root;
  Policy policy;
  policy.root_dir = root.path();
  absl::StatusOr<MountPlan> plain = MountPlan::Create(policy, ElfDeps{});
  REQUIRE(plain.ok());
  std::vector<std::string> summary = plain->Summary();
  CHECK(std::find(summary.begin(), summary.end(), "/sys/kernel/btf/vmlinux (ro)") == summary.end());
  policy.syscall_groups = {"bpf"};
  absl::StatusOr<MountPlan> bpf = MountPlan::Create(policy, ElfDeps{});
  REQUIRE(bpf.ok());
  summary = bpf->Summary();
  for (const char* file : {"/sys/kernel/btf/vmlinux", "/sys/devices/system/cpu/possible"}) {
    if (access(file, R_OK) != 0) continue;  // Only bound where the kernel has it.
    CHECK(std::find(summary.begin(), summary.end(), std::string(file) + " (ro)") != summary.end());
  }
}

TEST_CASE("mount plans refuse bad roots and bad targets") {
  testing::TempDir root, src;
  CHECK(PlanWith("relative", {}).code() == absl::StatusCode::kInvalidArgument);
  CHECK(PlanWith("/", {}).code() == absl::StatusCode::kInvalidArgument);
  CHECK(PlanWith(root.path() + "/missing", {}).code() == absl::StatusCode::kNotFound);
  CHECK(PlanWith("/etc/hostname", {}).code() == absl::StatusCode::kInvalidArgument);
  for (const char* target :
       {"run", "/", "/a/../b", "/a//b", "/a/./b", "/proc/x", "/proc", "/dev", "/dev/null"}) {
    INFO(target);
    CHECK(PlanWith(root.path(), {{src.path(), target, false}}).code() ==
          absl::StatusCode::kInvalidArgument);
  }
  // Nested and equal targets would let a mkdir land in a host directory.
  CHECK(PlanWith(root.path(), {{src.path(), "/a", true}, {src.path(), "/a/b", false}}).code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(PlanWith(root.path(), {{src.path(), "/a", true}, {src.path(), "/a", false}}).code() ==
        absl::StatusCode::kInvalidArgument);
  ElfDeps deps;
  deps.libraries = {"/usr/lib/x86_64-linux-gnu/libc.so.6"};
  absl::Status s = PlanWith(root.path(), {{src.path(), "/usr", false}}, deps);
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StrContains(s.message(), "is inside bind target /usr"));
  CHECK(PlanWith(root.path(), {{root.path() + "/nope", "/data", false}}).code() ==
        absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace paddock::sandbox
