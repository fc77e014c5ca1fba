// Capabilities of a plugin: only the granted ones survive, in the permitted, effective,
// inheritable and ambient sets (ambient is what carries them across execve for a
// non-root uid), and every other capability leaves the bounding set so nothing can
// bring it back. Uses raw capget/capset (kernel.h) rather than libcap: the child may
// not allocate, and the whole job is two 64-bit masks.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "sandbox/child_result.h"

namespace paddock::sandbox {

// "CAP_NET_ADMIN" (case-insensitive, the "CAP_" prefix optional) -> 12.
absl::StatusOr<int> CapabilityFromName(std::string_view name);
// 12 -> "CAP_NET_ADMIN"; "CAP_<n>" for numbers this build does not name.
std::string CapabilityName(int cap);
// The highest capability the running kernel knows (/proc/sys/kernel/cap_last_cap).
absl::StatusOr<int> LastCapability();

class CapPlan {
 public:
  // Returns InvalidArgument for a capability the kernel does not know.
  static absl::StatusOr<CapPlan> Create(const std::vector<int>& keep);

  // Child side, while still root with every capability: drops every capability not
  // kept from the bounding set (needs CAP_SETPCAP, so it precedes the uid change).
  ChildResult DropBoundingSetInChild() const;
  // Child side, after the uid change made with PR_SET_KEEPCAPS: permitted, effective
  // and inheritable become exactly the kept set, and the ambient set is cleared and then
  // raised to it.
  ChildResult ApplyInChild() const;

  uint64_t mask() const { return mask_; }

 private:
  CapPlan() = default;
  uint64_t mask_ = 0;
  int last_cap_ = 0;
};

}  // namespace paddock::sandbox
