// The child's side of cgroups: joining the instance's cgroups before it runs anything
// else, so every byte and task of the plugin is accounted there (cgroup.h creates them).
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sandbox/child_result.h"

namespace paddock::sandbox {

// Parent side: the file to write to join each directory: "tasks" in a v1 hierarchy,
// "cgroup.procs" in v2. NotFound when a directory has neither, InvalidArgument for a
// relative path.
//
// Why "tasks" for v1: writing to cgroup.procs migrates a whole thread group under the
// global cgroup_threadgroup_rwsem taken for writing, whose percpu_down_write waits for an
// RCU grace period: 8-20 ms per spawn on this project's machines, the largest single
// cost of a confined start. Writing "0" to v1 "tasks" migrates only the calling thread,
// which since Linux 6.0 ("cgroup: Optimize single thread migration") skips that lock.
// The child is single-threaded when it joins, so the two are equivalent; its later
// threads and children inherit the cgroup. v2 domain cgroups have no such file
// (cgroup.threads is for threaded subtrees only), so v2 keeps cgroup.procs.
absl::StatusOr<std::vector<std::string>> CgroupProcsFiles(const std::vector<std::string>& dirs);

// Child side, async-signal-safe: writes "0" (= the writing process; the child's own pid
// means nothing outside its new pid namespace) to each file. Failures carry the index.
ChildResult JoinCgroupsInChild(const std::vector<std::string>& procs_files);

}  // namespace paddock::sandbox
