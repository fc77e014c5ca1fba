#include "test_util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <map>

#include "sandbox/image.h"
#include "sandbox/kernel.h"
#include "sandbox/seccomp.h"

namespace paddock::sandbox::testing {

int CachedImage(const std::string& path) {
  static std::map<std::string, UniqueFd>* images = new std::map<std::string, UniqueFd>();
  auto it = images->find(path);
  if (it != images->end()) return it->second.get();
  absl::StatusOr<std::string> bytes = ReadImageFile(path);
  REQUIRE(bytes.ok());
  absl::StatusOr<UniqueFd> fd = SealedImageFromBytes(path, *bytes);
  REQUIRE(fd.ok());
  int raw = fd->get();
  images->emplace(path, *std::move(fd));
  return raw;
}

LaunchSpec ProbeSpec(std::vector<std::string> args) {
  LaunchSpec spec;
  spec.exec_fd = CachedImage(PADDOCK_SANDBOX_PROBE);
  spec.argv.push_back("probe");
  for (std::string& a : args) spec.argv.push_back(std::move(a));
  spec.policy.enabled = false;
  return spec;
}

LaunchSpec ShSpec(std::string script) {
  LaunchSpec spec;
  spec.exec_fd = CachedImage("/bin/sh");
  spec.argv = {"sh", "-c", std::move(script)};
  spec.env = {"PATH=/usr/bin:/bin"};
  spec.policy.enabled = false;
  return spec;
}

Pipe MakePipe() {
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

std::string ReadAll(int fd, int timeout_ms) {
  std::string out;
  char buf[4096];
  while (true) {
    struct pollfd pfd {};
    pfd.fd = fd;
    pfd.events = POLLIN;
    int ready = ::poll(&pfd, 1, timeout_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) FAIL_CHECK("no EOF on the child's output within " << timeout_ms << " ms");
    if (ready <= 0) break;
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Outcome WaitPidfd(int pidfd, int timeout_ms) {
  struct pollfd pfd {};
  pfd.fd = pidfd;
  pfd.events = POLLIN;
  int n = ::poll(&pfd, 1, timeout_ms);
  if (n == 0) {
    kernel::PidfdSendSignal(pidfd, SIGKILL);
    FAIL_CHECK("child did not exit within " << timeout_ms << " ms; killed");
  }
  siginfo_t info{};
  int rc;
  do {
    rc = ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &info, WEXITED);
  } while (rc < 0 && errno == EINTR);
  REQUIRE(rc == 0);
  Outcome outcome;
  outcome.code = info.si_code;
  outcome.status = info.si_status;
  return outcome;
}

absl::StatusOr<Outcome> LaunchAndWait(LaunchSpec spec, int timeout_ms) {
  Pipe out = MakePipe();
  spec.fds.push_back(FdMapping{std::move(out.write), 1});
  absl::StatusOr<Child> child = Launch(std::move(spec));
  if (!child.ok()) return child.status();
  std::unique_ptr<ViolationMonitor> monitor;
  if (child->seccomp_listener) {
    absl::StatusOr<std::unique_ptr<ViolationMonitor>> m =
        ViolationMonitor::Create(std::move(child->seccomp_listener));
    REQUIRE(m.ok());
    monitor = *std::move(m);
  }
  // Read the output to EOF while answering seccomp notifications.
  std::string text;
  std::vector<std::string> violations;
  bool eof = false;
  int listener = monitor ? monitor->fd() : -1;
  while (!eof) {
    struct pollfd pfds[2] = {{out.read.get(), POLLIN, 0}, {listener, POLLIN, 0}};
    int ready = ::poll(pfds, 2, timeout_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      FAIL_CHECK("no EOF on the child's output within " << timeout_ms << " ms");
      break;
    }
    REQUIRE(ready > 0);
    if (pfds[1].revents & POLLIN) {
      absl::StatusOr<Violation> v = monitor->HandleOne();
      if (v.ok()) violations.push_back(v->syscall);
    } else if (pfds[1].revents & (POLLHUP | POLLERR)) {
      listener = -1;  // Every task using the filter is gone.
    }
    if (pfds[0].revents & (POLLIN | POLLHUP)) {
      char buf[4096];
      ssize_t n = ::read(out.read.get(), buf, sizeof(buf));
      if (n > 0) text.append(buf, static_cast<size_t>(n));
      if (n == 0) eof = true;
    }
  }
  Outcome outcome = WaitPidfd(child->pidfd.get(), timeout_ms);
  outcome.out = std::move(text);
  outcome.violations = std::move(violations);
  return outcome;
}

bool RequireRoot() {
  if (::geteuid() == 0) return true;
  WARN("skipped: needs root (namespaces, mounts, cgroups)");
  return false;
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/paddock-sandbox-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  path_ = tmpl;
}

TempDir::~TempDir() { ::rmdir(path_.c_str()); }

ConfinedProbe::ConfinedProbe(std::vector<std::string> args) : spec(ProbeSpec(std::move(args))) {
  spec.policy.enabled = true;
  spec.policy.root_dir = root.path();
  spec.policy.uid = 60123;
  spec.policy.gid = 60123;
}

}  // namespace paddock::sandbox::testing
