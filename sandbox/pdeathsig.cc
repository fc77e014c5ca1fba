#include "sandbox/pdeathsig.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "paddock/errno_status.h"
#include "sandbox/kernel.h"

namespace paddock::sandbox {

absl::StatusOr<UniqueFd> OpenSelfPidfd() {
  int fd = kernel::PidfdOpen(::gettid(), kernel::kPidfdThread);
  if (fd < 0 && errno == EINVAL) fd = kernel::PidfdOpen(::getpid(), 0);  // Before 6.9.
  if (fd < 0) return ErrnoStatus(errno, "launch: pidfd_open self");
  return UniqueFd(fd);
}

ChildResult DieWithParentInChild(int parent_pidfd) {
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) {
    return ChildResult::Fail("prctl PR_SET_PDEATHSIG", errno);
  }
  struct pollfd pfd {};
  pfd.fd = parent_pidfd;
  pfd.events = POLLIN;
  int n;
  do {
    n = ::poll(&pfd, 1, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return ChildResult::Fail("poll parent pidfd", errno);
  if (n > 0) return ChildResult::Fail("parent died during launch", ESRCH);
  return ChildResult::Ok();
}

}  // namespace paddock::sandbox
