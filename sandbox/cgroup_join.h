// The child's side of cgroups: joining the instance's cgroups before it runs anything
// else, so every byte and task of the plugin is accounted there (cgroup.h creates them).
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sandbox/child_result.h"

namespace paddock::sandbox {

// Parent side: the "cgroup.procs" file of each directory. NotFound when a directory or
// its cgroup.procs does not exist, InvalidArgument for a relative path.
absl::StatusOr<std::vector<std::string>> CgroupProcsFiles(const std::vector<std::string>& dirs);

// Child side, async-signal-safe: writes "0" (= the writing process; the child's own pid
// means nothing outside its new pid namespace) to each file. Failures carry the index.
ChildResult JoinCgroupsInChild(const std::vector<std::string>& procs_files);

}  // namespace paddock::sandbox
