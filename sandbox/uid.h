// The plugin's identity: an unprivileged uid/gid chosen by the host (one per plugin
// name, so plugins cannot signal or read each other), no supplementary groups.
#pragma once

#include <sys/types.h>

#include "absl/status/status.h"
#include "sandbox/child_result.h"

namespace paddock::sandbox {

// Returns InvalidArgument for uid 0, gid 0 or the "unset" id (uid_t)-1.
absl::Status CheckIdentity(uid_t uid, gid_t gid);

// Child side, async-signal-safe: setgroups(0), setresgid(gid x3), setresuid(uid x3) with
// PR_SET_KEEPCAPS held across the uid change so the permitted set survives for
// CapPlan::ApplyInChild. The kernel clears PR_SET_PDEATHSIG on this credential change:
// the caller must set it again afterwards.
ChildResult ChangeIdentityInChild(uid_t uid, gid_t gid);

}  // namespace paddock::sandbox
