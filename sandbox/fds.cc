#include "sandbox/fds.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "sandbox/kernel.h"

namespace paddock::sandbox {

absl::StatusOr<FdPlan> FdPlan::Create(const std::vector<std::pair<int, int>>& mappings) {
  FdPlan plan;
  std::set<int> seen;
  for (const auto& [source, target] : mappings) {
    if (source < 0) return absl::InvalidArgumentError("fd mapping: negative source descriptor");
    if (target < 0 || target > kMaxTargetFd) {
      return absl::InvalidArgumentError(
          absl::StrCat("fd mapping: target ", target, " outside [0, ", kMaxTargetFd, "]"));
    }
    if (!seen.insert(target).second) {
      return absl::InvalidArgumentError(absl::StrCat("fd mapping: target ", target, " twice"));
    }
    plan.sources_.push_back(source);
    plan.targets_.push_back(target);
    plan.base_ = std::max(plan.base_, target + 1);
  }
  plan.moved_.assign(mappings.size(), -1);
  plan.keep_.assign(mappings.size() + kInternalFdCount, -1);
  return plan;
}

ChildResult FdPlan::ApplyInChild() {
  // 1. Move everything the child keeps above every target, so that placing a source at
  //    its target can never overwrite another source or an internal descriptor.
  for (int& fd : internal_) {
    if (fd < 0) continue;
    int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, base_);
    if (moved < 0) return ChildResult::Fail("dup internal fd", errno);
    fd = moved;
  }
  for (size_t i = 0; i < sources_.size(); ++i) {
    moved_[i] = ::fcntl(sources_[i], F_DUPFD_CLOEXEC, base_);
    if (moved_[i] < 0) return ChildResult::Fail("dup fd mapping source", errno);
  }
  // 2. Place each source at its target; dup3 without O_CLOEXEC leaves the target inherited.
  for (size_t i = 0; i < sources_.size(); ++i) {
    if (::dup3(moved_[i], targets_[i], 0) < 0) return ChildResult::Fail("dup3 fd mapping", errno);
  }
  // 3. Close everything but the targets and the internal descriptors.
  size_t n = 0;
  for (int target : targets_) keep_[n++] = target;
  for (int fd : internal_) {
    if (fd >= 0) keep_[n++] = fd;
  }
  // Insertion sort: n is tiny and std::sort is not guaranteed allocation-free.
  for (size_t i = 1; i < n; ++i) {
    for (size_t j = i; j > 0 && keep_[j - 1] > keep_[j]; --j) std::swap(keep_[j - 1], keep_[j]);
  }
  unsigned next = 0;  // Lowest descriptor not yet handled.
  for (size_t i = 0; i < n; ++i) {
    unsigned fd = static_cast<unsigned>(keep_[i]);
    if (fd > next && kernel::CloseRange(next, fd - 1, 0) < 0) {
      return ChildResult::Fail("close_range", errno);
    }
    next = fd + 1;
  }
  if (kernel::CloseRange(next, UINT_MAX, 0) < 0) return ChildResult::Fail("close_range", errno);
  // 4. A plugin must not find its first socket at 0, 1 or 2: fill unmapped stdio.
  for (int stdio = 0; stdio <= 2; ++stdio) {
    if (std::find(targets_.begin(), targets_.end(), stdio) != targets_.end()) continue;
    int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd < 0) return ChildResult::Fail("open /dev/null", errno);
    if (null_fd == stdio) {
      if (::fcntl(null_fd, F_SETFD, 0) < 0) return ChildResult::Fail("fcntl stdio", errno);
    } else {
      if (::dup3(null_fd, stdio, 0) < 0) return ChildResult::Fail("dup3 stdio", errno);
      ::close(null_fd);
    }
  }
  return ChildResult::Ok();
}

}  // namespace paddock::sandbox
