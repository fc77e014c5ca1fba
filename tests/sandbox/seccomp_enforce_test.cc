// The seccomp filter as the plugin meets it: each call runs in a confined probe and the
// test asserts the errno, the violation the host recorded, or the death (Chromium
// sandbox style). Needs root (integration).
#include <signal.h>

#include <catch2/catch.hpp>

#include "sandbox/launcher.h"
#include "test_util.h"

namespace paddock::sandbox {
namespace {

testing::Outcome RunSyscall(const std::string& name, std::vector<std::string> groups = {}) {
  testing::ConfinedProbe probe({"syscall", name});
  probe.spec.policy.syscall_groups = std::move(groups);
  absl::StatusOr<testing::Outcome> ran = testing::LaunchAndWait(std::move(probe.spec));
  INFO(name << ": " << ran.status().ToString());
  REQUIRE(ran.ok());
  return *std::move(ran);
}

TEST_CASE("dangerous syscalls fail with EPERM and are reported by name") {
  if (!testing::RequireRoot()) return;
  struct Case {
    const char* probe;
    const char* reported;
  };
  const Case cases[] = {
      {"ptrace", "ptrace"},
      {"mount", "mount"},
      {"unshare_user", "unshare"},
      {"clone_newuser", "clone"},
      {"keyctl", "keyctl"},
      {"bpf", "bpf"},
      {"perf_event_open", "perf_event_open"},
      {"io_uring_setup", "io_uring_setup"},
      {"userfaultfd", "userfaultfd"},
      {"kexec_load", "kexec_load"},
      {"init_module", "init_module"},
      {"setuid", "setuid"},
      {"tiocsti", "ioctl"},
      {"tiocsti_high", "ioctl"},
      {"thread_ptrace", "ptrace"},
  };
  for (const Case& c : cases) {
    testing::Outcome out = RunSyscall(c.probe);
    INFO(c.probe);
    CHECK(out.Exited(0));
    CHECK(out.out == "EPERM\n");
    CHECK(out.violations == std::vector<std::string>{c.reported});
  }
}

TEST_CASE("syscalls the policy does not know return ENOSYS, unreported") {
  if (!testing::RequireRoot()) return;
  for (const char* name : {"unknown", "clone3", "tcgets_high", "socket_netlink"}) {
    testing::Outcome out = RunSyscall(name);
    INFO(name);
    CHECK(out.Exited(0));
    CHECK(out.out == "ENOSYS\n");
    CHECK(out.violations.empty());
  }
}

TEST_CASE("what the base policy allows works") {
  if (!testing::RequireRoot()) return;
  for (const char* name : {"getpid", "fork", "socket_inet"}) {
    testing::Outcome out = RunSyscall(name);
    INFO(name);
    CHECK(out.out == "OK\n");
    CHECK(out.violations.empty());
  }
}

TEST_CASE("a granted group lifts its denial") {
  if (!testing::RequireRoot()) return;
  testing::Outcome netlink = RunSyscall("socket_netlink", {"netlink"});
  CHECK(netlink.out == "OK\n");
  // Without CAP_BPF the kernel itself refuses, but the filter no longer reports it.
  testing::Outcome bpf = RunSyscall("bpf", {"bpf"});
  CHECK(bpf.out != "ENOSYS\n");
  CHECK(bpf.violations.empty());
}

TEST_CASE("x32 syscalls kill the process") {
  if (!testing::RequireRoot()) return;
  testing::Outcome out = RunSyscall("x32");
  CHECK(out.Killed(SIGSYS));
  CHECK(out.out.empty());
}

}  // namespace
}  // namespace paddock::sandbox
