// Shutdown event (see shutdown_signal.h).
#include "plugin-sdk/shutdown_signal.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "paddock/errno_status.h"

namespace paddock::sdk {

absl::StatusOr<std::unique_ptr<ShutdownSignal>> ShutdownSignal::Create(
    absl::Duration default_grace) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  if (int err = pthread_sigmask(SIG_BLOCK, &set, nullptr); err != 0) {
    return ErrnoStatus(err, "blocking SIGTERM/SIGINT");
  }
  UniqueFd sfd(::signalfd(-1, &set, SFD_CLOEXEC));
  if (!sfd) return ErrnoStatus(errno, "signalfd");
  UniqueFd efd(::eventfd(0, EFD_CLOEXEC));
  if (!efd) return ErrnoStatus(errno, "eventfd");
  return std::unique_ptr<ShutdownSignal>(
      new ShutdownSignal(std::move(sfd), std::move(efd), default_grace));
}

void ShutdownSignal::Trigger(absl::Duration grace) {
  int64_t expected = -1;
  trigger_grace_ms_.compare_exchange_strong(expected, absl::ToInt64Milliseconds(grace));
  const uint64_t one = 1;
  // An eventfd write of 1 only fails on counter overflow, which cannot happen here.
  while (::write(event_fd_.get(), &one, sizeof(one)) < 0 && errno == EINTR) {
  }
}

absl::StatusOr<ShutdownSignal::Request> ShutdownSignal::Wait() {
  for (;;) {
    pollfd fds[2] = {{.fd = signal_fd_.get(), .events = POLLIN, .revents = 0},
                     {.fd = event_fd_.get(), .events = POLLIN, .revents = 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "poll for shutdown");
    }
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info;
      ssize_t r = ::read(signal_fd_.get(), &info, sizeof(info));
      if (r == static_cast<ssize_t>(sizeof(info))) {
        return Request{info.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM", default_grace_};
      }
      if (r < 0 && errno != EINTR && errno != EAGAIN) return ErrnoStatus(errno, "read signalfd");
    }
    if (fds[1].revents & POLLIN) {
      return Request{"shutdown call", absl::Milliseconds(trigger_grace_ms_.load())};
    }
  }
}

}  // namespace paddock::sdk
