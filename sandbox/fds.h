// Descriptor hygiene for the child: the parent plans which descriptors the child gets at
// which numbers; the child applies the plan between clone and exec, so that it ends up
// with exactly the mapped descriptors (without close-on-exec), /dev/null on any standard
// descriptor the caller did not map, and the launcher's own close-on-exec descriptors
// (error pipe, image, ...), which vanish at exec. Everything else is closed.
#pragma once

#include <array>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "sandbox/child_result.h"

namespace paddock::sandbox {

// Descriptors the launcher itself needs in the child until exec.
enum InternalFd : int {
  kErrorPipeFd = 0,  // Write end of the error pipe.
  kExecFd,           // The image to execveat.
  kParentFd,         // pidfd of the spawning thread (PR_SET_PDEATHSIG race check).
  kNotifySocketFd,   // Socket to hand the seccomp listener to the parent.
  kInternalFdCount,
};

// Largest descriptor number a mapping may target.
inline constexpr int kMaxTargetFd = 1023;

class FdPlan {
 public:
  // `mappings` are (source descriptor in the parent, target number in the child) pairs.
  // Returns InvalidArgument for a negative source, a target outside [0, kMaxTargetFd] or
  // two mappings with the same target. A source may equal any target: the plan moves
  // every source out of the way before placing any of them.
  static absl::StatusOr<FdPlan> Create(const std::vector<std::pair<int, int>>& mappings);

  // Sets internal descriptor `which` (parent number; -1 = unused).
  void SetInternal(InternalFd which, int fd) { internal_[which] = fd; }
  // The internal descriptor's current number: the parent's number before ApplyInChild,
  // the child's number after it.
  int internal(InternalFd which) const { return internal_[which]; }

  // Child side, async-signal-safe (no allocation: all scratch space was sized by
  // Create). Moves the internal descriptors and the sources above every target, places
  // each source at its target without close-on-exec, closes every other descriptor,
  // and opens /dev/null on 0, 1 and 2 where no mapping targets them.
  ChildResult ApplyInChild();

 private:
  FdPlan() = default;

  std::vector<int> sources_;
  std::vector<int> targets_;
  std::vector<int> moved_;  // Scratch: sources after the move above `base_`.
  std::vector<int> keep_;   // Scratch: descriptors that survive, sorted in the child.
  std::array<int, kInternalFdCount> internal_{-1, -1, -1, -1};
  int base_ = 3;  // Lowest number the moves may use: above every target and stdio.
};

}  // namespace paddock::sandbox
