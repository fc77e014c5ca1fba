// The cgroup v2 backend against the real unified hierarchy this machine mounts: at
// /sys/fs/cgroup on a pure v2 host, at /sys/fs/cgroup/unified in a hybrid layout (here it
// has no memory/cpu/pids controllers, so limits are covered by cgroup_test.cc's fake tree;
// what every v2 cgroup has is checked for real: joining through cgroup.procs the way a
// spawned child does, cpu.stat usage, cgroup.kill reaching a double-forked grandchild,
// and removal). Skips with a message when not root or no v2 hierarchy is mounted.
#include <signal.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "sandbox/cgroup_backend.h"
#include "sandbox/cgroup_fs.h"
#include "sandbox/cgroup_join.h"

namespace cb = paddock::sandbox::cgroup_backend;

namespace {

constexpr long kCgroup2Magic = 0x63677270;  // CGROUP2_SUPER_MAGIC

std::string V2Mount() {
  for (const char* dir : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"}) {
    struct statfs fs {};
    if (statfs(dir, &fs) == 0 && fs.f_type == kCgroup2Magic) return dir;
  }
  return "";
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool Exists(pid_t pid) { return kill(pid, 0) == 0; }

}  // namespace

TEST_CASE("cgroup v2 for real: join, usage, cgroup.kill of a double-forked grandchild, removal",
          "[cgroup][v2]") {
  if (geteuid() != 0) {
    WARN("skipped: needs root to create cgroups");
    return;
  }
  const std::string mount = V2Mount();
  if (mount.empty()) {
    WARN("skipped: no cgroup v2 hierarchy is mounted");
    return;
  }
  auto fs = paddock::sandbox::RealCgroupFs();
  const std::string base = absl::StrCat(mount, "/paddock-v2-real-test-", getpid());
  const std::string dir = base + "/instance";
  REQUIRE(fs->MakeDir(base).ok());
  REQUIRE(fs->MakeDir(dir).ok());
  auto available = cb::V2Available(*fs, dir);
  REQUIRE(available.ok());  // Whatever the machine delegates; parsed, not assumed.

  auto files = paddock::sandbox::CgroupProcsFiles({dir});
  REQUIRE(files.ok());
  REQUIRE(files->size() == 1);
  CHECK((*files)[0] == dir + "/cgroup.procs");

  // The child joins the way a spawned plugin does, burns some CPU, then double-forks a
  // grandchild (reparented away from it) and both wait to be killed.
  int ready[2];
  REQUIRE(pipe(ready) == 0);
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    close(ready[0]);
    if (!paddock::sandbox::JoinCgroupsInChild(*files).ok()) _exit(3);
    // 30 ms of its own CPU time (not wall time: on a loaded machine it may wait for a CPU).
    timespec cpu{};
    do {
      clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
    } while (cpu.tv_sec == 0 && cpu.tv_nsec < 30'000'000);
    pid_t mid = fork();
    if (mid == 0) {
      pid_t grandchild = fork();
      if (grandchild == 0) {
        pid_t me = getpid();
        (void)!write(ready[1], &me, sizeof(me));
        for (;;) pause();
      }
      _exit(0);
    }
    waitpid(mid, nullptr, 0);
    for (;;) pause();
  }
  close(ready[1]);
  pid_t grandchild = 0;
  REQUIRE(read(ready[0], &grandchild, sizeof(grandchild)) == sizeof(grandchild));
  close(ready[0]);

  std::string relative = dir.substr(mount.size());
  CHECK(Slurp(absl::StrCat("/proc/", child, "/cgroup")).find("0::" + relative + "\n") !=
        std::string::npos);
  CHECK(Slurp(absl::StrCat("/proc/", grandchild, "/cgroup")).find("0::" + relative + "\n") !=
        std::string::npos);
  // The child and the grandchild; the middle process may take a moment to exit.
  size_t members = 0;
  for (int i = 0; i < 200; ++i) {
    auto procs = cb::ReadProcs(*fs, dir);
    REQUIRE(procs.ok());
    members = procs->size();
    if (members == 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(members == 2);

  paddock::sandbox::InstanceCgroup::Usage usage;
  REQUIRE(cb::V2AddUsage(*fs, dir, "cpu", &usage).ok());
  CHECK(usage.cpu_usage_ns >= 10'000'000);  // It spun for 30 ms; at least 10 ms counted.

  auto killed = cb::V2Kill(*fs, dir);
  REQUIRE(killed.ok());
  REQUIRE(*killed);  // cgroup.kill exists since Linux 5.14.
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  // The grandchild is not ours to reap; it must be gone (or a zombie of its reaper) soon.
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    std::string stat = Slurp(absl::StrCat("/proc/", grandchild, "/stat"));
    gone = !Exists(grandchild) || stat.find(") Z ") != std::string::npos;
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(gone);
  bool empty = false;
  for (int i = 0; i < 200 && !empty; ++i) {
    empty = Slurp(dir + "/cgroup.events").find("populated 0") != std::string::npos;
    if (!empty) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(empty);
  CHECK(fs->RemoveDir(dir).ok());
  CHECK(fs->RemoveDir(base).ok());
  struct stat st {};
  CHECK(stat(base.c_str(), &st) != 0);
}
