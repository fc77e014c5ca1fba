// Tying the child's life to the host's: PR_SET_PDEATHSIG(SIGKILL), then a check that the
// spawning thread did not already die before the request took effect.
#pragma once

#include "absl/status/statusor.h"
#include "paddock/fd.h"
#include "sandbox/child_result.h"

namespace paddock::sandbox {

// Parent side: a pidfd for the calling thread (Linux >= 6.9, PIDFD_THREAD), or for the
// calling process on older kernels. It becomes readable when that thread (process) exits.
absl::StatusOr<UniqueFd> OpenSelfPidfd();

// Child side, async-signal-safe. Sets PR_SET_PDEATHSIG(SIGKILL) and fails with ESRCH
// if `parent_pidfd` (from OpenSelfPidfd in the parent) shows the parent already gone.
// getppid() cannot serve for the check: in a new pid namespace it is always 0.
// Must be called again after every uid/gid change: commit_creds() clears the setting.
ChildResult DieWithParentInChild(int parent_pidfd);

}  // namespace paddock::sandbox
