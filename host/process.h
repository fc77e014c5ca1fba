// Signals and exit status through pidfds, so a recycled pid can never be hit by mistake.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace paddock::host {

// Sends `sig` to the process behind `pidfd`. ESRCH (already gone) is not an error.
absl::Status SignalPidfd(int pidfd, int sig);

// Reaps the process behind `pidfd` if it has exited (non-blocking). Returns NotFound if it
// is still running, otherwise how it ended ("exited with status 1", "killed by SIGKILL").
absl::StatusOr<std::string> TryReap(int pidfd);

// How a waitid() result reads to a human.
std::string DescribeExit(int code, int status);

}  // namespace paddock::host
