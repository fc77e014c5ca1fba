// The confinement of one plugin instance, as plain data: the host fills it from the
// manifest and its grant, the launcher applies it. Nothing here touches the kernel.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace paddock::sandbox {

// A bind mount into the plugin's root. Always nosuid, nodev and noexec.
struct BindMount {
  std::string source;     // Host path (file or directory; must exist).
  std::string target;     // Path inside the plugin's root (absolute, clean, e.g. "/run").
  bool writable = false;  // Read-only unless set.
};

// Resource limits of the instance's cgroup. 0 means "no limit".
struct CgroupLimits {
  uint64_t memory_bytes = 0;  // Swap is always 0 when a memory limit is set.
  uint32_t cpu_millis = 0;    // 1000 = one CPU.
  uint32_t pids = 0;
  // Real-time budget, microseconds per cpu.rt_period_us (1 s) per CPU, on a v1 cpu hierarchy
  // with CONFIG_RT_GROUP_SCHED (cpu.rt_runtime_us). There a group with 0 cannot run SCHED_FIFO
  // or SCHED_RR threads at all, so give it to instances granted CAP_SYS_NICE. Best effort: a
  // machine without room leaves the instance at 0 (the plugin's sched_setscheduler says EPERM).
  uint32_t rt_runtime_us = 0;
};

// The whole confinement. With enabled == false the child only gets the fd hygiene,
// signal reset, PR_SET_PDEATHSIG and a clean environment (development mode); every
// other field is ignored.
struct Policy {
  bool enabled = true;
  // Unshare the network namespace (false only for network: host). A new one has only
  // the loopback interface, which the launcher brings up.
  bool new_network = true;
  // Existing, empty host directory. The child mounts a tmpfs on it (in its own mount
  // namespace: the host keeps seeing an empty directory) and pivots into it.
  std::string root_dir;
  // Extra bind mounts: the plugin's /run (where it creates its gRPC socket; the host
  // connects through the source directory) and its data dir. The loader, the libraries
  // the image needs, /dev/{null,zero,urandom} and /proc are added by the launcher.
  std::vector<BindMount> binds;
  // Unprivileged identity (neither may be 0). Writable binds must be writable by it.
  uid_t uid = 65534;
  gid_t gid = 65534;
  // Capabilities to keep (numbers from linux/capability.h; caps.h maps names); all
  // others are dropped from every set including the bounding set.
  std::vector<int> capabilities;
  // Optional seccomp syscall groups (seccomp_policy.h) added to the base policy.
  std::vector<std::string> syscall_groups;
  // Directory of the instance's cgroup per hierarchy, which the child joins before
  // anything else (InstanceCgroup::dirs(); created and limited by the caller).
  std::vector<std::string> cgroup_dirs;
  // RLIMIT_NOFILE, RLIMIT_NPROC (tasks of the plugin's uid), RLIMIT_FSIZE (bytes; 0 =
  // unlimited). RLIMIT_CORE is always 0. The file size limit defaults to 1 GiB, not to
  // unlimited: /run and /data are host directories, and a plugin must not be able to fill
  // the host's disk with one file (the hostile suite's file_size attempt found it
  // unlimited when the host left it at 0).
  uint64_t max_open_files = 1024;
  uint64_t max_processes = 512;
  uint64_t max_file_size = uint64_t{1} << 30;
  // Hostname inside the new UTS namespace: [A-Za-z0-9.-]{1,64}.
  std::string hostname = "plugin";
};

}  // namespace paddock::sandbox
