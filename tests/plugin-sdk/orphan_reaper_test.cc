// The reaper runs for the test process's own children here (not pid 1: RunPlugin starts it
// only as pid 1; tests/integration/hostile_limits_test.cc checks it in a real sandbox).
#include "plugin-sdk/orphan_reaper.h"

#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

namespace paddock::sdk {
namespace {

using Clock = std::chrono::steady_clock;

// True while `pid` is an unreaped child (zombie or alive) of this process.
bool Unreaped(pid_t pid) {
  siginfo_t info{};
  return waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0;
}

bool IsZombieChild(pid_t pid) {
  siginfo_t info{};
  return waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == pid;
}

// Starts a reaper for this test process's children.
std::unique_ptr<OrphanReaper> StartReaper(absl::Duration interval, absl::Duration grace,
                                          std::string proc_root = "/proc") {
  OrphanReaper::Options opt;
  opt.interval = interval;
  opt.grace = grace;
  opt.proc_root = std::move(proc_root);
  absl::StatusOr<std::unique_ptr<OrphanReaper>> r = OrphanReaper::Start(opt);
  REQUIRE(r.ok());
  return std::move(*r);
}

TEST_CASE("orphan reaper: a zombie nobody waits for is reaped after the grace, not before") {
  std::unique_ptr<OrphanReaper> reaper =
      StartReaper(absl::Milliseconds(20), absl::Milliseconds(400));
  const Clock::time_point forked = Clock::now();
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) _exit(3);
  // The grace counts from when the reaper first saw the zombie, which is after the fork:
  // while less than the grace has passed since the fork, it must still be there.
  while (!IsZombieChild(child) && Clock::now() - forked < std::chrono::seconds(10)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  for (;;) {
    bool young = Clock::now() - forked < std::chrono::milliseconds(300);
    bool there = Unreaped(child);
    if (!young) break;
    REQUIRE(there);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const Clock::time_point give_up = Clock::now() + std::chrono::seconds(10);
  while (Unreaped(child) && Clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK_FALSE(Unreaped(child));
  CHECK(reaper->reaped() == 1);
}

TEST_CASE("orphan reaper: children the process waits for keep their exit status") {
  std::unique_ptr<OrphanReaper> reaper = StartReaper(absl::Milliseconds(5), absl::Seconds(2));
  for (int i = 0; i < 20; ++i) {
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      if (i % 2 == 0) usleep(20000);  // Half exit while we wait, half before we do.
      _exit(i);
    }
    if (i % 2 == 1) std::this_thread::sleep_for(std::chrono::milliseconds(30));
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == i);
  }
  CHECK(reaper->reaped() == 0);
}

TEST_CASE("orphan reaper: stops promptly and leaves live children alone") {
  std::unique_ptr<OrphanReaper> reaper = StartReaper(absl::Milliseconds(10), absl::Milliseconds(0));
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    pause();
    _exit(0);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(Unreaped(child));
  CHECK(reaper->reaped() == 0);
  const Clock::time_point t0 = Clock::now();
  reaper.reset();
  CHECK(Clock::now() - t0 < std::chrono::seconds(1));
  kill(child, SIGKILL);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  CHECK(WIFSIGNALED(status));
}

TEST_CASE("orphan reaper: an unreadable proc root stops it without harm") {
  std::unique_ptr<OrphanReaper> reaper =
      StartReaper(absl::Milliseconds(5), absl::Milliseconds(0), "/nonexistent-proc");
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) _exit(0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(Unreaped(child));  // It could not list zombies, so it reaped nothing.
  CHECK(reaper->reaped() == 0);
  REQUIRE(waitpid(child, nullptr, 0) == child);
}

}  // namespace
}  // namespace paddock::sdk
