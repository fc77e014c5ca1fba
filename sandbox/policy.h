// The confinement of one plugin instance, as plain data: the host fills it from the
// manifest and its grant, the launcher applies it. Nothing here touches the kernel.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace paddock::sandbox {

// A bind mount into the plugin's root.
struct BindMount {
  std::string source;     // Host path.
  std::string target;     // Path inside the plugin's root (absolute, e.g. "/data").
  bool writable = false;  // Read-only unless set.
};

// Resource limits of the instance's cgroup. 0 means "no limit".
struct CgroupLimits {
  uint64_t memory_bytes = 0;
  uint32_t cpu_millis = 0;  // 1000 = one CPU.
  uint32_t pids = 0;
};

// The whole confinement. With enabled == false the child only gets the fd hygiene,
// PR_SET_PDEATHSIG and a clean environment (development mode).
struct Policy {
  bool enabled = true;
  // Unshare the network namespace (false only for network: host).
  bool new_network = true;
  // Host directory that becomes the plugin's "/" (created and emptied by the caller).
  std::string root_dir;
  // Extra bind mounts (the plugin's /run and data dir).
  std::vector<BindMount> binds;
  // Unprivileged identity.
  uid_t uid = 65534;
  gid_t gid = 65534;
  // Capabilities to keep (numbers from linux/capability.h); everything else is dropped.
  std::vector<int> capabilities;
  // Named seccomp syscall groups added to the base policy.
  std::vector<std::string> syscall_groups;
  // Directory of the instance's cgroup per hierarchy the child must join before exec
  // (already created and limited by the caller), e.g. "/sys/fs/cgroup/memory/paddock/x".
  std::vector<std::string> cgroup_dirs;
  // RLIMIT_NOFILE, RLIMIT_FSIZE (bytes; 0 = unlimited) for the child.
  uint64_t max_open_files = 1024;
  uint64_t max_file_size = 0;
  // Hostname inside the new UTS namespace.
  std::string hostname = "plugin";
};

}  // namespace paddock::sandbox
