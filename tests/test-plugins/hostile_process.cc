// Reaching other processes: tracing or reading the host, signalling the host, every
// process at once, or another plugin. The pids come from the test in the host's pid
// namespace; the plugin lives in its own, where they do not exist.
#include <errno.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "hostile_attempt.h"

namespace hostile {
namespace {

AttemptReply PtraceHost(const AttemptRequest& req) {
  long rc = syscall(SYS_ptrace, PTRACE_ATTACH, req.pid(), nullptr, nullptr);
  int err = errno;
  if (rc == 0) syscall(SYS_ptrace, PTRACE_DETACH, req.pid(), nullptr, nullptr);
  long seize = syscall(SYS_ptrace, PTRACE_SEIZE, req.pid(), nullptr, nullptr);
  std::string seize_err = seize < 0 ? ErrnoName(errno) : "succeeded";
  if (seize == 0) syscall(SYS_ptrace, PTRACE_DETACH, req.pid(), nullptr, nullptr);
  std::string detail =
      "ptrace(PTRACE_ATTACH, " + std::to_string(req.pid()) + "); PTRACE_SEIZE: " + seize_err;
  if (rc == 0 || seize == 0) return Escaped(detail);
  return Refused(err, detail);
}

AttemptReply PtraceTraceme(const AttemptRequest&) {
  return Expect(syscall(SYS_ptrace, PTRACE_TRACEME, 0, nullptr, nullptr), "ptrace(PTRACE_TRACEME)");
}

// Reads 64 bytes at the usual non-PIE text address of the host.
AttemptReply ProcessVmReadv(const AttemptRequest& req) {
  char buf[64];
  struct iovec local {
    buf, sizeof(buf)
  };
  struct iovec remote {
    reinterpret_cast<void*>(0x400000), sizeof(buf)
  };
  return Expect(syscall(SYS_process_vm_readv, req.pid(), &local, 1, &remote, 1, 0),
                "process_vm_readv(" + std::to_string(req.pid()) + ")");
}

// kill(-1) reaches every process the caller may signal except itself: inside its own pid
// namespace (where the plugin is pid 1 with no other process) that is nobody.
AttemptReply KillAll(const AttemptRequest&) {
  return Expect(kill(-1, SIGKILL), "kill(-1, SIGKILL)");
}

AttemptReply KillPid(const AttemptRequest& req, const std::string& whose) {
  long rc = kill(req.pid(), SIGKILL);
  int err = errno;
  long pidfd = syscall(SYS_pidfd_open, req.pid(), 0);
  std::string pidfd_err = pidfd < 0 ? ErrnoName(errno) : "succeeded";
  if (pidfd >= 0) close(static_cast<int>(pidfd));
  std::string detail =
      "kill(" + std::to_string(req.pid()) + " = " + whose + ", SIGKILL); pidfd_open: " + pidfd_err;
  if (rc == 0) return Escaped(detail);
  return Refused(err, detail);
}

}  // namespace

void AddProcessAttempts(Registry& r) {
  r["ptrace_host"] = PtraceHost;
  r["ptrace_traceme"] = PtraceTraceme;
  r["process_vm_readv_host"] = ProcessVmReadv;
  r["kill_all"] = KillAll;
  r["kill_host"] = [](const AttemptRequest& q) { return KillPid(q, "the host"); };
  r["kill_plugin"] = [](const AttemptRequest& q) { return KillPid(q, "another plugin"); };
}

}  // namespace hostile
