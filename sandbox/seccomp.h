// Compiling the seccomp policy (seccomp_policy.h) and installing it in the child, plus
// the host side of its user notifications.
//
// The filter is compiled with libseccomp in the parent and exported as plain BPF; the
// child installs it with a raw seccomp(2) as the last step before execveat (libseccomp
// allocates, which the child may not). It is installed while the child has a single
// thread, so every thread the plugin ever starts inherits it (no TSYNC needed).
//
// Denied syscalls return SECCOMP_RET_USER_NOTIF. The child passes the notification
// listener to the parent over a socket (SCM_RIGHTS) before exec; the host answers every
// notification with EPERM through a ViolationMonitor and records the syscall name. The
// plugin cannot forge or suppress these reports. Until answered, the calling thread
// blocks, so the host must poll the listener; if the host closes it, denied calls fail
// with ENOSYS instead (and are no longer reported).
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "paddock/fd.h"
#include "sandbox/child_result.h"

namespace paddock::sandbox {

class SeccompPlan {
 public:
  // Compiles the base groups plus the optional `groups` (names from OptionalGroupNames).
  // InvalidArgument for an unknown group; Internal if libseccomp rejects the policy.
  static absl::StatusOr<SeccompPlan> Create(const std::vector<std::string>& groups);

  // Child side, async-signal-safe. Installs the filter (no_new_privs must already be
  // set), sends the notification listener over `socket_fd` and closes it.
  ChildResult LoadInChild(int socket_fd) const;

  // Names of every group in force, base first (for status displays).
  const std::vector<std::string>& group_names() const { return group_names_; }
  // The BPF program (for tests and diagnostics).
  const std::vector<sock_filter>& program() const { return program_; }

 private:
  SeccompPlan() = default;
  std::vector<sock_filter> program_;
  std::vector<std::string> group_names_;
};

// Parent side: receives the listener the child sent with SeccompPlan::LoadInChild.
// Non-blocking: the child sends it before exec, so it is queued once exec happened.
absl::StatusOr<UniqueFd> ReceiveSeccompListener(int socket_fd);

// A syscall the filter refused.
struct Violation {
  pid_t pid = 0;        // Thread that made the call, in the host's pid namespace.
  int nr = -1;          // Syscall number.
  std::string syscall;  // Its name, e.g. "ptrace", or "syscall_<nr>" when unknown.
  std::array<uint64_t, 6> args{};
};

// Answers a plugin's seccomp notifications. One per instance; not thread-safe (drive it
// from the host's event loop).
class ViolationMonitor {
 public:
  // Takes ownership of the listener (Child::seccomp_listener).
  static absl::StatusOr<std::unique_ptr<ViolationMonitor>> Create(UniqueFd listener);

  // Poll this for POLLIN (a notification is pending) and POLLHUP (every task using the
  // filter has exited).
  int fd() const { return listener_.get(); }

  // Reads one pending notification, answers it with EPERM and returns it. Call only when
  // fd() is readable (otherwise it blocks). NotFound when the calling thread died before
  // the answer (nothing to record).
  absl::StatusOr<Violation> HandleOne();

 private:
  ViolationMonitor(UniqueFd listener, size_t notif_size, size_t resp_size);
  UniqueFd listener_;
  std::vector<uint64_t> notif_buf_;  // Kernel-sized, 8-byte aligned buffers.
  std::vector<uint64_t> resp_buf_;
};

// "ptrace" for x86_64 syscall number 101; "syscall_<nr>" when libseccomp has no name.
std::string SyscallName(int nr);

}  // namespace paddock::sandbox
