// Resource limits of the plugin process (per process, unlike the cgroup's per-instance
// limits): open files, processes of its uid, file size, and no core dumps (a core would
// leak the private key the plugin holds in memory). Soft and hard limits are equal, so
// the plugin cannot raise them.
#pragma once

#include <sys/resource.h>

#include <vector>

#include "absl/status/statusor.h"
#include "sandbox/child_result.h"
#include "sandbox/policy.h"

namespace paddock::sandbox {

class RlimitPlan {
 public:
  // Returns InvalidArgument when max_open_files or max_processes is 0.
  static absl::StatusOr<RlimitPlan> Create(const Policy& policy);

  // Child side, async-signal-safe (prlimit on itself). Failures carry the resource number.
  ChildResult ApplyInChild() const;

  struct Limit {
    int resource;
    rlim_t value;  // Soft and hard.
  };
  const std::vector<Limit>& limits() const { return limits_; }

 private:
  RlimitPlan() = default;
  std::vector<Limit> limits_;
};

}  // namespace paddock::sandbox
