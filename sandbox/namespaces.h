// Namespaces of a plugin instance: new mount, pid, ipc and uts namespaces always, a new
// network namespace unless the plugin runs with network: host, and a new cgroup
// namespace entered after the child joined its cgroups (so /proc/self/cgroup shows "/").
// The child is pid 1 of its pid namespace: when it dies the kernel kills everything
// else in the namespace, so double-forked grandchildren die with the instance (and the
// plugin, as init, must reap its zombies: the SDK does).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "sandbox/child_result.h"
#include "sandbox/policy.h"

namespace paddock::sandbox {

// CLONE_NEW* flags for `policy` (0 when it is disabled).
uint64_t CloneFlags(const Policy& policy);

// Namespace names in force for `policy`, e.g. {"mnt", "pid", "ipc", "uts", "net", "cgroup"}.
std::vector<std::string> NamespaceNames(const Policy& policy);

// Returns InvalidArgument unless `hostname` is 1..64 characters of [A-Za-z0-9.-].
absl::Status CheckHostname(const std::string& hostname);

// Child side, async-signal-safe: sets the hostname of the new UTS namespace.
ChildResult SetHostnameInChild(const std::string& hostname);

// Child side, async-signal-safe: brings the loopback interface of a new network
// namespace up (it starts down), so the plugin can talk to itself over 127.0.0.1.
ChildResult BringUpLoopbackInChild();

// Child side: unshare(CLONE_NEWCGROUP). Call after joining the instance's cgroups.
ChildResult EnterCgroupNamespaceInChild();

}  // namespace paddock::sandbox
