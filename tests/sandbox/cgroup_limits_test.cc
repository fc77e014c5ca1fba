// cgroup limits on this machine's real hierarchies (v1 for memory/cpu/pids here, v2
// where the kernel offers them): a balloon is OOM-killed and counted, a fork bomb stops
// at the pids limit, a spinner is throttled, KillAll empties the group, and nothing is
// left behind. Needs root (integration).
#include "sandbox/cgroup.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "sandbox/cgroup_join.h"
#include "sandbox/launcher.h"
#include "test_util.h"

namespace paddock::sandbox {
namespace {

std::unique_ptr<CgroupManager> Manager() {
  absl::StatusOr<std::unique_ptr<CgroupManager>> m =
      CgroupManager::Create("/sys/fs/cgroup", absl::StrCat("paddock-test-", ::getpid()));
  INFO(m.status().ToString());
  REQUIRE(m.ok());
  return *std::move(m);
}

testing::Outcome RunIn(const InstanceCgroup& cg, std::vector<std::string> args) {
  testing::ConfinedProbe probe(std::move(args));
  probe.spec.policy.cgroup_dirs = cg.dirs();
  probe.spec.policy.max_processes = 4096;  // Let the cgroup be the limit that bites.
  absl::StatusOr<testing::Outcome> ran = testing::LaunchAndWait(std::move(probe.spec), 60000);
  INFO(ran.status().ToString());
  REQUIRE(ran.ok());
  return *std::move(ran);
}

TEST_CASE("a memory balloon is OOM-killed inside its cgroup and counted") {
  if (!testing::RequireRoot()) return;
  auto manager = Manager();
  auto cg = manager->CreateInstance("balloon", {32 << 20, 0, 0});
  REQUIRE(cg.ok());
  testing::Outcome out = RunIn(**cg, {"balloon", "256"});
  INFO(out.out);
  CHECK(out.Killed(SIGKILL));
  absl::StatusOr<InstanceCgroup::Usage> usage = (*cg)->ReadUsage();
  REQUIRE(usage.ok());
  CHECK(usage->oom_kills >= 1);

  // Within the limit the same program survives.
  auto roomy = manager->CreateInstance("roomy", {128 << 20, 0, 0});
  REQUIRE(roomy.ok());
  CHECK(RunIn(**roomy, {"balloon", "16"}).out == "survived\n");
  CHECK((*roomy)->ReadUsage()->oom_kills == 0);
}

TEST_CASE("a fork bomb stops at the pids limit") {
  if (!testing::RequireRoot()) return;
  auto manager = Manager();
  auto cg = manager->CreateInstance("forkbomb", {0, 0, 16});
  REQUIRE(cg.ok());
  testing::Outcome out = RunIn(**cg, {"forkbomb", "1000"});
  INFO(out.out);
  CHECK(out.Exited(0));
  std::vector<std::string> words = absl::StrSplit(out.out, ' ');
  REQUIRE(words.size() == 3);
  int forked = 0;
  REQUIRE(absl::SimpleAtoi(words[1], &forked));
  CHECK(forked == 15);  // The probe itself is the 16th task.
  CHECK(words[2] == "EAGAIN\n");
}

TEST_CASE("a spinner is throttled to its cpu quota") {
  if (!testing::RequireRoot()) return;
  auto manager = Manager();
  auto cg = manager->CreateInstance("spinner", {0, 100, 0});  // 10% of one CPU.
  REQUIRE(cg.ok());
  testing::Outcome out = RunIn(**cg, {"spin", "1000", "2"});
  INFO(out.out);
  long cpu_ms = 0;
  REQUIRE(absl::StartsWith(out.out, "cpu_ms "));
  REQUIRE(absl::SimpleAtoi(absl::StripSuffix(out.out.substr(7), "\n"), &cpu_ms));
  // 1 s of wall time at 10% is ~100 ms of CPU (two threads would use ~2000 ms unthrottled).
  CHECK(cpu_ms < 400);
  absl::StatusOr<InstanceCgroup::Usage> usage = (*cg)->ReadUsage();
  REQUIRE(usage.ok());
  CHECK(usage->cpu_throttled > 0);
  CHECK(usage->cpu_usage_ns > 50'000'000);
}

TEST_CASE("a cpu limit comes with a burst of one quota; v1 groups are joined through tasks") {
  if (!testing::RequireRoot()) return;
  auto manager = Manager();
  auto cg = manager->CreateInstance("burst", {0, 200, 0});
  REQUIRE(cg.ok());
  absl::StatusOr<std::vector<std::string>> join = CgroupProcsFiles((*cg)->dirs());
  REQUIRE(join.ok());
  for (const std::string& desc : (*cg)->Describe()) {
    // "v1:cpu:/sys/fs/cgroup/cpu/..." or "v2:cpu:/sys/fs/cgroup/..."
    std::vector<std::string> part = absl::StrSplit(desc, absl::MaxSplits(':', 2));
    REQUIRE(part.size() == 3);
    const std::string want = part[2] + (part[0] == "v1" ? "/tasks" : "/cgroup.procs");
    CHECK(std::find(join->begin(), join->end(), want) != join->end());
    if (part[1] != "cpu") continue;
    // 200 millis of a 100 ms period: a 20 ms quota, and as much burst (when the kernel
    // has bursts: 5.14+).
    const std::string burst = part[2] + (part[0] == "v1" ? "/cpu.cfs_burst_us" : "/cpu.max.burst");
    if (::access(burst.c_str(), F_OK) != 0) continue;
    std::ifstream in(burst);
    std::string value;
    in >> value;
    CHECK(value == "20000");
  }
}

TEST_CASE("the child sees its own cgroup as the root; KillAll empties the group") {
  if (!testing::RequireRoot()) return;
  auto manager = Manager();
  auto cg = manager->CreateInstance("kill", {64 << 20, 0, 64});
  REQUIRE(cg.ok());
  testing::Outcome view = RunIn(**cg, {"cat", "/proc/self/cgroup"});
  for (absl::string_view line : absl::StrSplit(view.out, '\n', absl::SkipEmpty())) {
    INFO(line);
    CHECK(absl::EndsWith(line, ":/"));
  }

  testing::ConfinedProbe probe({"sleep", "60"});
  probe.spec.policy.cgroup_dirs = (*cg)->dirs();
  absl::StatusOr<Child> child = Launch(std::move(probe.spec));
  REQUIRE(child.ok());
  CHECK((*cg)->ReadUsage()->pids_current == 1);
  REQUIRE((*cg)->KillAll().ok());
  CHECK(testing::WaitPidfd(child->pidfd.get(), 5000).Killed(SIGKILL));
}

TEST_CASE("no cgroup is left behind") {
  if (!testing::RequireRoot()) return;
  std::vector<std::string> dirs;
  std::vector<std::string> bases;
  {
    auto manager = Manager();
    for (const CgroupController& c : manager->controllers()) bases.push_back(c.base);
    auto cg = manager->CreateInstance("leftover", {64 << 20, 500, 32});
    REQUIRE(cg.ok());
    dirs = (*cg)->dirs();
    // A live task in the group at destruction time is killed first.
    testing::ConfinedProbe probe({"sleep", "60"});
    probe.spec.policy.cgroup_dirs = dirs;
    absl::StatusOr<Child> child = Launch(std::move(probe.spec));
    REQUIRE(child.ok());
    for (const std::string& d : dirs) CHECK(::access(d.c_str(), F_OK) == 0);
    cg->reset();
    CHECK(testing::WaitPidfd(child->pidfd.get(), 5000).Killed(SIGKILL));
  }
  for (const std::string& d : dirs) CHECK(::access(d.c_str(), F_OK) != 0);
  for (const std::string& b : bases) CHECK(::access(b.c_str(), F_OK) != 0);
}

}  // namespace
}  // namespace paddock::sandbox
