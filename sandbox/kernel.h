// Raw system calls and kernel constants that glibc 2.36 does not wrap or define, in one
// place. Every wrapper is a single syscall(2): async-signal-safe, usable in the child
// between clone and exec, and it never touches glibc's thread bookkeeping (which is stale
// in a child made by a raw clone; see launcher.cc).
#pragma once

#include <linux/capability.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdint>

namespace paddock::sandbox::kernel {

// pidfd_open(2) flag (Linux 6.9): the pidfd refers to one thread, not the thread group.
// Same value as O_EXCL, as in include/uapi/linux/pidfd.h.
inline constexpr unsigned kPidfdThread = 0x80;  // O_EXCL

// memfd_create(2) flag (Linux 6.3, include/uapi/linux/memfd.h): the memfd stays
// executable even under vm.memfd_noexec=1. Older kernels reject it with EINVAL.
inline constexpr unsigned kMfdExec = 0x0010U;

// clone3(2). Returns the child's pid in the parent, 0 in the child, -1 with errno.
inline long Clone3(struct clone_args* args) { return ::syscall(SYS_clone3, args, sizeof(*args)); }

// Legacy clone(2) with no new stack (fork semantics), x86_64 argument order
// (flags, stack, parent_tid, child_tid, tls). With CLONE_PIDFD the pidfd lands in
// *pidfd_out (the parent_tid slot).
inline long CloneLegacy(unsigned long flags, int* pidfd_out) {
  return ::syscall(SYS_clone, flags, nullptr, pidfd_out, nullptr, nullptr);
}

inline int PidfdOpen(pid_t pid, unsigned flags) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, flags));
}

inline int PidfdSendSignal(int pidfd, int sig) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

inline int PidfdGetfd(int pidfd, int target_fd) {
  return static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd, target_fd, 0));
}

inline int CloseRange(unsigned first, unsigned last, unsigned flags) {
  return static_cast<int>(::syscall(SYS_close_range, first, last, flags));
}

inline int PivotRoot(const char* new_root, const char* put_old) {
  return static_cast<int>(::syscall(SYS_pivot_root, new_root, put_old));
}

// The id-changing calls go straight to the kernel on purpose: glibc's wrappers broadcast
// the change to every thread glibc believes exists (SIGSETXID), and after a raw clone
// those are the parent's threads, which the child does not have. Raw calls change only
// the calling thread, which is the only thread of the child.
inline int SetGroups(size_t n, const gid_t* groups) {
  return static_cast<int>(::syscall(SYS_setgroups, n, groups));
}
inline int SetResGid(gid_t r, gid_t e, gid_t s) {
  return static_cast<int>(::syscall(SYS_setresgid, r, e, s));
}
inline int SetResUid(uid_t r, uid_t e, uid_t s) {
  return static_cast<int>(::syscall(SYS_setresuid, r, e, s));
}

inline int Capget(__user_cap_header_struct* header, __user_cap_data_struct* data) {
  return static_cast<int>(::syscall(SYS_capget, header, data));
}
inline int Capset(__user_cap_header_struct* header, const __user_cap_data_struct* data) {
  return static_cast<int>(::syscall(SYS_capset, header, data));
}

inline int Seccomp(unsigned op, unsigned flags, void* args) {
  return static_cast<int>(::syscall(SYS_seccomp, op, flags, args));
}

inline int ExecveAt(int dirfd, const char* path, char* const argv[], char* const envp[],
                    int flags) {
  return static_cast<int>(::syscall(SYS_execveat, dirfd, path, argv, envp, flags));
}

}  // namespace paddock::sandbox::kernel
