// The seccomp policy as data, and its compilation (no privileges needed; enforcement is
// in seccomp_enforce_test.cc).
#include "sandbox/seccomp_policy.h"

#include <linux/filter.h>
#include <sys/syscall.h>

#include <catch2/catch.hpp>
#include <set>

#include "sandbox/seccomp.h"

namespace paddock::sandbox {
namespace {

TEST_CASE("every rule has a name and a reason, every group a reason") {
  for (const SyscallGroup& g : SyscallGroups()) {
    INFO(g.name);
    CHECK(std::string(g.reason).size() > 3);
    CHECK_FALSE(g.rules.empty());
    for (const SyscallRule& r : g.rules) {
      INFO(r.name);
      CHECK(std::string(r.reason).size() > 3);
    }
  }
  for (const SyscallRule& r : DeniedSyscalls()) {
    INFO(r.name);
    CHECK(std::string(r.reason).size() > 3);
  }
}

TEST_CASE("no base group allows a denied syscall outright") {
  std::set<std::string> denied_outright;
  for (const SyscallRule& r : DeniedSyscalls()) {
    if (!r.check) denied_outright.insert(r.name);
  }
  for (const SyscallGroup& g : SyscallGroups()) {
    if (g.optional) continue;
    for (const SyscallRule& r : g.rules) {
      INFO(g.name << ": " << r.name);
      CHECK(denied_outright.count(r.name) == 0);
    }
  }
}

TEST_CASE("groups are selected by name; base groups always apply") {
  absl::StatusOr<std::vector<const SyscallGroup*>> base = SelectGroups({});
  REQUIRE(base.ok());
  for (const SyscallGroup* g : *base) CHECK_FALSE(g->optional);
  absl::StatusOr<std::vector<const SyscallGroup*>> more = SelectGroups({"bpf", "bpf", "netlink"});
  REQUIRE(more.ok());
  CHECK(more->size() == base->size() + 2);
  CHECK(SelectGroups({"memory"}).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(SelectGroups({"nope"}).status().code() == absl::StatusCode::kInvalidArgument);
  std::vector<std::string> names = OptionalGroupNames();
  CHECK(std::find(names.begin(), names.end(), "perf") != names.end());
}

TEST_CASE("the policy compiles with every optional group, within BPF limits") {
  absl::StatusOr<SeccompPlan> base = SeccompPlan::Create({});
  REQUIRE(base.ok());
  CHECK_FALSE(base->program().empty());
  absl::StatusOr<SeccompPlan> all = SeccompPlan::Create(OptionalGroupNames());
  INFO(all.status().ToString());
  REQUIRE(all.ok());
  CHECK(all->program().size() <= BPF_MAXINSNS);
  CHECK(all->group_names().size() == base->group_names().size() + OptionalGroupNames().size());
  CHECK(SeccompPlan::Create({"nope"}).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("syscall numbers resolve to names") {
  CHECK(SyscallName(SYS_ptrace) == "ptrace");
  CHECK(SyscallName(SYS_io_uring_setup) == "io_uring_setup");
  CHECK(SyscallName(99999) == "syscall_99999");
}

}  // namespace
}  // namespace paddock::sandbox
