#include "sandbox/clone.h"

#include <errno.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/wait.h>

#include "sandbox/kernel.h"

namespace paddock::sandbox {

pid_t CloneWithPidfd(uint64_t flags, int* pidfd_out) {
  *pidfd_out = -1;
  int pidfd = -1;
  struct clone_args args {};
  args.flags = flags | CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  long pid = kernel::Clone3(&args);
  if (pid < 0 && (errno == ENOSYS || errno == EPERM)) {
    // Old kernel, or a seccomp profile that hides clone3 so that glibc falls back.
    pid = kernel::CloneLegacy(flags | CLONE_PIDFD | SIGCHLD, &pidfd);
  }
  if (pid > 0) *pidfd_out = pidfd;
  return static_cast<pid_t>(pid);
}

void KillAndReap(int pidfd) {
  kernel::PidfdSendSignal(pidfd, SIGKILL);
  siginfo_t info{};
  while (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &info, WEXITED) < 0 &&
         errno == EINTR) {
  }
}

}  // namespace paddock::sandbox
