// The seccomp policy as data: named syscall groups, each entry with the reason it is
// there. seccomp.cc compiles it with libseccomp; nothing here touches the kernel.
//
// Decisions, in the order the filter applies them:
//   1. Any architecture but x86_64, and x32 calls (__X32_SYSCALL_BIT), kill the process.
//   2. Syscalls of the base groups and of the optional groups the host granted: allowed,
//      some only for listed argument values (socket domains, ioctl requests, clone
//      without namespace flags).
//   3. Dangerous syscalls (kDenied): refused with EPERM through a user notification, so
//      the host records the syscall name as a policy violation. Granting an optional
//      group lifts the denial of the syscalls it allows (e.g. "bpf").
//   4. Everything else: ENOSYS, as for a syscall the kernel does not have, so libc falls
//      back (clone3 -> clone, whose flags the filter can inspect) and new syscalls do
//      not widen the policy by accident.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace paddock::sandbox {

// A condition on one syscall argument. Comparisons use the full 64-bit register unless
// the kind says otherwise: an allowlist compared on 64 bits refuses a value whose low 32
// bits are allowed but whose high bits are set (the kernel truncates some arguments,
// such as ioctl's request, to 32 bits after the filter ran).
struct ArgCheck {
  enum Kind {
    kEqualsAny,     // arg == one of `values` (64-bit).
    kLow32Any,      // (arg & 0xffffffff) == one of `values`: denials that must not be
                    // dodged by setting high bits.
    kMaskedZero,    // (arg & mask) == 0.
    kMaskedAnyBit,  // (arg & bit) == bit for some single bit of `mask`.
  };
  unsigned arg = 0;
  Kind kind = kEqualsAny;
  std::vector<uint64_t> values;
  uint64_t mask = 0;
};

struct SyscallRule {
  const char* name;  // libseccomp name, e.g. "openat".
  const char* reason;
  std::optional<ArgCheck> check;  // Unset: any arguments.
};

struct SyscallGroup {
  const char* name;
  const char* reason;
  bool optional;  // Optional groups must be granted by the host (manifest + host config).
  std::vector<SyscallRule> rules;
};

// Every group: base groups (always in force) and optional ones.
const std::vector<SyscallGroup>& SyscallGroups();

// Dangerous syscalls, refused and reported.
const std::vector<SyscallRule>& DeniedSyscalls();

// Names of the optional groups, for validating manifests and host configs.
std::vector<std::string> OptionalGroupNames();

// Returns the groups in force for `requested` optional group names: every base group
// plus the requested ones. InvalidArgument for an unknown name or a base group name.
absl::StatusOr<std::vector<const SyscallGroup*>> SelectGroups(
    const std::vector<std::string>& requested);

}  // namespace paddock::sandbox
