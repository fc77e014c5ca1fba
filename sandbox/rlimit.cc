#include "sandbox/rlimit.h"

#include <errno.h>

#include "absl/status/status.h"

namespace paddock::sandbox {

absl::StatusOr<RlimitPlan> RlimitPlan::Create(const Policy& policy) {
  if (policy.max_open_files == 0) return absl::InvalidArgumentError("rlimit: max_open_files is 0");
  if (policy.max_processes == 0) return absl::InvalidArgumentError("rlimit: max_processes is 0");
  RlimitPlan plan;
  plan.limits_ = {
      {RLIMIT_NOFILE, policy.max_open_files},
      {RLIMIT_NPROC, policy.max_processes},
      {RLIMIT_CORE, 0},
      {RLIMIT_FSIZE, policy.max_file_size == 0 ? RLIM_INFINITY : policy.max_file_size},
  };
  return plan;
}

ChildResult RlimitPlan::ApplyInChild() const {
  for (const Limit& l : limits_) {
    struct rlimit value {
      l.value, l.value
    };
    if (::prlimit(0, static_cast<__rlimit_resource>(l.resource), &value, nullptr) < 0) {
      return ChildResult::Fail("setrlimit", errno, l.resource);
    }
  }
  return ChildResult::Ok();
}

}  // namespace paddock::sandbox
