// Launcher tests for the unconfined path (policy.enabled = false): image, argv, env,
// descriptor mapping and hygiene, signal state, error reporting and lifetime.
#include "sandbox/launcher.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "sandbox/image.h"
#include "test_util.h"

namespace paddock::sandbox {
namespace {

using testing::LaunchAndWait;
using testing::MakePipe;
using testing::ProbeSpec;
using testing::ReadAll;
using testing::ShSpec;
using testing::WaitPidfd;

// No children may be left unreaped by a launch (successful or not).
void RequireNoChildren() {
  siginfo_t info{};
  REQUIRE(::waitid(P_ALL, 0, &info, WEXITED | WNOHANG) == -1);
  REQUIRE(errno == ECHILD);
}

std::string LinkOf(int fd) {
  char buf[256] = {};
  ssize_t n = ::readlink(absl::StrCat("/proc/self/fd/", fd).c_str(), buf, sizeof(buf) - 1);
  REQUIRE(n > 0);
  return std::string(buf, static_cast<size_t>(n));
}

TEST_CASE("the exit of a launched image is observed through its pidfd") {
  absl::StatusOr<Child> child = Launch(ShSpec("exit 7"));
  REQUIRE(child.ok());
  REQUIRE(child->pid > 0);
  REQUIRE(child->pidfd.valid());
  REQUIRE((::fcntl(child->pidfd.get(), F_GETFD) & FD_CLOEXEC) != 0);
  struct pollfd pfd {
    child->pidfd.get(), POLLIN, 0
  };
  REQUIRE(::poll(&pfd, 1, 10000) == 1);
  testing::Outcome outcome = WaitPidfd(child->pidfd.get());
  REQUIRE(outcome.Exited(7));
  RequireNoChildren();
}

TEST_CASE("argv reaches the image unchanged") {
  absl::StatusOr<testing::Outcome> ran =
      LaunchAndWait(ShSpec("printf '%s|' \"$0\" \"$@\"; printf '\\n'"));
  REQUIRE(ran.ok());
  REQUIRE(ran->Exited(0));
  REQUIRE(ran->out == "sh|\n");

  LaunchSpec spec = ShSpec("printf '%s|' \"$0\" \"$@\"");
  spec.argv.push_back("zero");
  spec.argv.push_back("a b");
  spec.argv.push_back("");
  ran = LaunchAndWait(std::move(spec));
  REQUIRE(ran.ok());
  REQUIRE(ran->out == "zero|a b||");
}

TEST_CASE("the child gets exactly the given environment") {
  REQUIRE(::setenv("PADDOCK_SHOULD_NOT_LEAK", "1", 1) == 0);
  LaunchSpec spec = ProbeSpec({"env"});
  spec.env = {"A=1", "B=two words", "EMPTY="};
  absl::StatusOr<testing::Outcome> ran = LaunchAndWait(std::move(spec));
  REQUIRE(ran.ok());
  REQUIRE(ran->Exited(0));
  REQUIRE(ran->out == "A=1\nB=two words\nEMPTY=\n");

  ran = LaunchAndWait(ProbeSpec({"env"}));
  REQUIRE(ran.ok());
  REQUIRE(ran->out.empty());
  ::unsetenv("PADDOCK_SHOULD_NOT_LEAK");
}

TEST_CASE("only mapped descriptors reach the child; unmapped stdio is /dev/null") {
  // Descriptors the test process holds without close-on-exec must not leak either.
  UniqueFd leak(::open("/dev/zero", O_RDONLY));
  REQUIRE(leak.valid());
  testing::Pipe extra = MakePipe();
  LaunchSpec spec = ProbeSpec({"fds"});
  std::string extra_link = LinkOf(extra.write.get());
  spec.fds.push_back(FdMapping{std::move(extra.write), 7});
  absl::StatusOr<testing::Outcome> ran = LaunchAndWait(std::move(spec));
  REQUIRE(ran.ok());
  REQUIRE(ran->Exited(0));
  std::vector<std::string> lines = absl::StrSplit(ran->out, '\n', absl::SkipEmpty());
  REQUIRE(lines.size() == 4);
  std::sort(lines.begin(), lines.end());
  CHECK(lines[0] == "0 /dev/null");
  CHECK(lines[1].rfind("1 pipe:[", 0) == 0);
  CHECK(lines[2] == "2 /dev/null");
  CHECK(lines[3] == "7 " + extra_link);
}

TEST_CASE("mappings whose sources sit on each other's targets are swapped correctly") {
  testing::Pipe a = MakePipe();
  testing::Pipe b = MakePipe();
  // Put the write ends at 20 and 21, then ask for 20 -> 21 and 21 -> 20.
  REQUIRE(::dup3(a.write.get(), 20, O_CLOEXEC) == 20);
  REQUIRE(::dup3(b.write.get(), 21, O_CLOEXEC) == 21);
  a.write.Reset();
  b.write.Reset();
  LaunchSpec spec = ProbeSpec({"write", "21", "to-21", "20", "to-20"});
  spec.fds.push_back(FdMapping{UniqueFd(20), 21});  // a's write end lands on 21.
  spec.fds.push_back(FdMapping{UniqueFd(21), 20});  // b's write end lands on 20.
  absl::StatusOr<testing::Outcome> ran = LaunchAndWait(std::move(spec));
  REQUIRE(ran.ok());
  REQUIRE(ran->Exited(0));
  REQUIRE(ReadAll(a.read.get()) == "to-21\n");
  REQUIRE(ReadAll(b.read.get()) == "to-20\n");
}

TEST_CASE("a source may already sit on its own target") {
  testing::Pipe a = MakePipe();
  REQUIRE(::dup3(a.write.get(), 9, O_CLOEXEC) == 9);
  a.write.Reset();
  LaunchSpec spec = ShSpec("echo same >&9");
  spec.fds.push_back(FdMapping{UniqueFd(9), 9});
  absl::StatusOr<testing::Outcome> ran = LaunchAndWait(std::move(spec));
  REQUIRE(ran.ok());
  REQUIRE(ran->Exited(0));
  REQUIRE(ReadAll(a.read.get()) == "same\n");
}

TEST_CASE("signal mask and dispositions are reset in the child") {
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction old_usr1 {};
  REQUIRE(::sigaction(SIGUSR1, &ignore, &old_usr1) == 0);
  sigset_t block, old_mask;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR2);
  REQUIRE(::pthread_sigmask(SIG_BLOCK, &block, &old_mask) == 0);

  absl::StatusOr<testing::Outcome> ran = LaunchAndWait(ProbeSpec({"status", "SigBlk", "SigIgn"}));

  ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  ::sigaction(SIGUSR1, &old_usr1, nullptr);
  REQUIRE(ran.ok());
  REQUIRE(ran->out == "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
}

TEST_CASE("a failed exec names the step and errno, and the child is reaped") {
  absl::StatusOr<UniqueFd> garbage = SealedImageFromBytes("garbage", "this is not an ELF file");
  REQUIRE(garbage.ok());
  LaunchSpec spec = ShSpec("exit 0");
  spec.exec_fd = garbage->get();
  absl::StatusOr<Child> child = Launch(std::move(spec));
  REQUIRE_FALSE(child.ok());
  INFO(child.status().ToString());
  REQUIRE(absl::StrContains(child.status().message(), "launch: execveat: Exec format error"));
  RequireNoChildren();

  // A descriptor number that is not open fails in the child when it is moved.
  spec = ShSpec("exit 0");
  spec.exec_fd = 1000;
  REQUIRE(::fcntl(1000, F_GETFD) == -1);
  child = Launch(std::move(spec));
  REQUIRE_FALSE(child.ok());
  INFO(child.status().ToString());
  REQUIRE(absl::StrContains(child.status().message(), "launch: dup internal fd: Bad file"));
  RequireNoChildren();

  // A directory is not executable.
  UniqueFd dir(::open("/", O_PATH | O_CLOEXEC));
  spec = ShSpec("exit 0");
  spec.exec_fd = dir.get();
  child = Launch(std::move(spec));
  REQUIRE_FALSE(child.ok());
  REQUIRE(absl::StrContains(child.status().message(), "launch: execveat"));
  RequireNoChildren();
}

TEST_CASE("invalid specs are refused before anything is started") {
  LaunchSpec spec = ShSpec("exit 0");
  spec.exec_fd = -1;
  REQUIRE(Launch(std::move(spec)).status().code() == absl::StatusCode::kInvalidArgument);

  spec = ShSpec("exit 0");
  spec.argv.clear();
  REQUIRE(Launch(std::move(spec)).status().code() == absl::StatusCode::kInvalidArgument);

  spec = ShSpec("exit 0");
  spec.env = {"NOEQUALS"};
  REQUIRE(Launch(std::move(spec)).status().code() == absl::StatusCode::kInvalidArgument);

  spec = ShSpec("exit 0");
  spec.argv.push_back(std::string("a\0b", 3));
  REQUIRE(Launch(std::move(spec)).status().code() == absl::StatusCode::kInvalidArgument);

  spec = ShSpec("exit 0");
  spec.fds.push_back(FdMapping{UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC)), 5});
  spec.fds.push_back(FdMapping{UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC)), 5});
  REQUIRE(Launch(std::move(spec)).status().code() == absl::StatusCode::kInvalidArgument);

  spec = ShSpec("exit 0");
  spec.fds.push_back(FdMapping{UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC)), 100000});
  REQUIRE(Launch(std::move(spec)).status().code() == absl::StatusCode::kInvalidArgument);
  RequireNoChildren();
}

TEST_CASE("mapped descriptors are closed in the parent after the launch") {
  UniqueFd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  int number = null.get();
  LaunchSpec spec = ShSpec("exit 0");
  spec.fds.push_back(FdMapping{std::move(null), 5});
  absl::StatusOr<Child> child = Launch(std::move(spec));
  REQUIRE(child.ok());
  REQUIRE(::fcntl(number, F_GETFD) == -1);
  REQUIRE(WaitPidfd(child->pidfd.get()).Exited(0));
}

TEST_CASE("the child is killed when the launching thread exits") {
  absl::StatusOr<Child> child;
  std::thread launcher([&child] { child = Launch(ProbeSpec({"sleep", "60"})); });
  launcher.join();
  REQUIRE(child.ok());
  testing::Outcome outcome = WaitPidfd(child->pidfd.get(), 10000);
  REQUIRE(outcome.Killed(SIGKILL));
}

}  // namespace
}  // namespace paddock::sandbox
