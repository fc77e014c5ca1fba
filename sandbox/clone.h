// Process creation for the launcher: a fork-like clone (no new stack, no shared memory)
// that returns a pidfd and can put the child into new namespaces in the same step.
#pragma once

#include <sys/types.h>

#include <cstdint>

namespace paddock::sandbox {

// clone3(CLONE_PIDFD | flags) with exit signal SIGCHLD, falling back to clone(2) when
// clone3 is unavailable (ENOSYS, or EPERM from a container's seccomp profile). `flags`
// holds CLONE_NEW* bits only. Returns the child's pid in the parent with *pidfd_out set
// to a close-on-exec pidfd the caller owns, 0 in the child, -1 with errno on failure.
//
// The child is a copy of the calling thread only. glibc is not told about it (no
// atfork handlers, stale thread list and cached tid), so the child may use nothing but
// async-signal-safe calls and raw syscalls (kernel.h) until it execs.
pid_t CloneWithPidfd(uint64_t flags, int* pidfd_out);

// SIGKILLs the child behind `pidfd` (a child of the calling process) and waits until it is
// reaped. For error paths right after a launch; does not close `pidfd`.
void KillAndReap(int pidfd);

}  // namespace paddock::sandbox
