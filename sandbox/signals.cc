#include "sandbox/signals.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>

namespace paddock::sandbox {

ScopedBlockAllSignals::ScopedBlockAllSignals() {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &saved_);
}

ScopedBlockAllSignals::~ScopedBlockAllSignals() { pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }

ChildResult ResetSignalsInChild() {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    // glibc refuses its two internal real-time signals (EINVAL) and the kernel refuses
    // numbers it does not have; neither can carry a handler into the plugin.
    if (::sigaction(sig, &dfl, nullptr) < 0 && errno != EINVAL) {
      return ChildResult::Fail("reset signal disposition", errno);
    }
  }
  sigset_t none;
  sigemptyset(&none);
  if (::sigprocmask(SIG_SETMASK, &none, nullptr) < 0) {
    return ChildResult::Fail("reset signal mask", errno);
  }
  return ChildResult::Ok();
}

}  // namespace paddock::sandbox
