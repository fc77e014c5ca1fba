#include "host/process.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "paddock/errno_status.h"
#include "sandbox/kernel.h"

namespace paddock::host {

absl::Status SignalPidfd(int pidfd, int sig) {
  if (sandbox::kernel::PidfdSendSignal(pidfd, sig) != 0 && errno != ESRCH) {
    return ErrnoStatus(errno, "pidfd_send_signal");
  }
  return absl::OkStatus();
}

std::string DescribeExit(int code, int status) {
  switch (code) {
    case CLD_EXITED:
      return absl::StrCat("exited with status ", status);
    case CLD_KILLED:
    case CLD_DUMPED: {
      const char* abbrev = sigabbrev_np(status);
      std::string name = abbrev ? absl::StrCat("SIG", abbrev) : absl::StrCat("signal ", status);
      std::string out = absl::StrCat("killed by ", name);
      if (status == SIGSYS) out += " (seccomp policy violation)";
      if (code == CLD_DUMPED) out += " (core dumped)";
      return out;
    }
    default:
      return absl::StrCat("ended (code ", code, ", status ", status, ")");
  }
}

absl::StatusOr<std::string> TryReap(int pidfd) {
  siginfo_t info{};
  if (waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &info, WEXITED | WNOHANG) !=
      0) {
    return ErrnoStatus(errno, "waitid");
  }
  if (info.si_pid == 0) return absl::NotFoundError("still running");
  return DescribeExit(info.si_code, info.si_status);
}

}  // namespace paddock::host
