#include "sandbox/seccomp_policy.h"

#include <linux/sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace paddock::sandbox {
namespace {

// Namespace flags in clone(2)'s first argument. CLONE_NEWTIME is absent on purpose:
// clone(2) cannot take it (its bit is part of the exit signal there).
constexpr uint64_t kCloneNamespaceFlags = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS |
                                          CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
                                          CLONE_NEWNET;

ArgCheck SocketDomains(std::vector<uint64_t> domains) {
  return ArgCheck{0, ArgCheck::kEqualsAny, std::move(domains), 0};
}

std::vector<SyscallGroup> MakeGroups() {
  std::vector<SyscallGroup> g;
  g.push_back({"memory",
               "address space management by libc, allocators and the loader",
               false,
               {
                   {"brk", "malloc arena growth", {}},
                   {"mmap", "allocations, loading libraries", {}},
                   {"munmap", "freeing mappings", {}},
                   {"mprotect", "guard pages, RELRO, thread stacks", {}},
                   {"mremap", "realloc of large blocks", {}},
                   {"madvise", "allocators returning memory", {}},
                   {"msync", "file-backed mappings in the data dir", {}},
                   {"mincore", "allocators probing residency", {}},
                   {"membarrier", "runtimes synchronising threads (e.g. RCU-style code)", {}},
               }});
  g.push_back({"files",
               "descriptor I/O and the plugin's own files (root is read-only)",
               false,
               {
                   {"read", "descriptor I/O", {}},
                   {"write", "descriptor I/O", {}},
                   {"readv", "descriptor I/O", {}},
                   {"writev", "descriptor I/O (logging, gRPC)", {}},
                   {"pread64", "positional I/O", {}},
                   {"pwrite64", "positional I/O", {}},
                   {"preadv", "positional I/O", {}},
                   {"pwritev", "positional I/O", {}},
                   {"preadv2", "positional I/O", {}},
                   {"pwritev2", "positional I/O", {}},
                   {"open", "legacy open, used by some libraries", {}},
                   {"openat", "opening files inside the root", {}},
                   {"close", "closing descriptors", {}},
                   {"close_range", "closing descriptors before exec", {}},
                   {"lseek", "file offsets", {}},
                   {"stat", "file metadata", {}},
                   {"fstat", "file metadata", {}},
                   {"lstat", "file metadata", {}},
                   {"newfstatat", "file metadata", {}},
                   {"statx", "file metadata", {}},
                   {"statfs", "file system metadata", {}},
                   {"fstatfs", "file system metadata", {}},
                   {"access", "existence checks", {}},
                   {"faccessat", "existence checks", {}},
                   {"faccessat2", "existence checks", {}},
                   {"readlink", "/proc/self/exe and symlinks", {}},
                   {"readlinkat", "symlinks", {}},
                   {"getdents64", "directory listing", {}},
                   {"fcntl", "descriptor flags, file locks", {}},
                   {"flock", "file locks in the data dir", {}},
                   {"dup", "descriptor duplication", {}},
                   {"dup2", "descriptor duplication", {}},
                   {"dup3", "descriptor duplication", {}},
                   {"pipe", "pipes", {}},
                   {"pipe2", "pipes (gRPC wakeups)", {}},
                   {"ftruncate", "files in the data dir", {}},
                   {"fallocate", "files in the data dir", {}},
                   {"fsync", "durable writes in the data dir", {}},
                   {"fdatasync", "durable writes in the data dir", {}},
                   {"fadvise64", "page-cache advice on own files (written log segments)", {}},
                   {"mkdir", "directories in the data dir", {}},
                   {"mkdirat", "directories in the data dir", {}},
                   {"rmdir", "directories in the data dir", {}},
                   {"unlink", "files in the data dir, stale sockets in /run", {}},
                   {"unlinkat", "files in the data dir, stale sockets in /run", {}},
                   {"rename", "atomic replace in the data dir", {}},
                   {"renameat", "atomic replace in the data dir", {}},
                   {"renameat2", "atomic replace in the data dir", {}},
                   {"fchmod", "socket and file modes", {}},
                   {"chmod", "socket and file modes", {}},
                   {"fchmodat", "socket and file modes", {}},
                   {"utimensat", "timestamps in the data dir", {}},
                   {"getcwd", "working directory", {}},
                   {"chdir", "working directory", {}},
                   {"fchdir", "working directory", {}},
                   {"umask", "file creation mask", {}},
                   {"sendfile", "file copies", {}},
                   {"copy_file_range", "file copies", {}},
                   {"memfd_create", "anonymous shared memory (no exec: no_new_privs, ro root)", {}},
               }});
  g.push_back({"process",
               "the process itself, its threads and children (inside its pid namespace)",
               false,
               {
                   {"exit", "thread exit", {}},
                   {"exit_group", "process exit", {}},
                   {"clone", "threads and children; namespace flags are denied separately",
                    ArgCheck{0, ArgCheck::kMaskedZero, {}, kCloneNamespaceFlags}},
                   {"vfork", "posix_spawn on some libcs", {}},
                   {"execve", "re-exec within the read-only root (no_new_privs holds)", {}},
                   {"execveat", "the launcher's own exec of the sealed image; fexecve", {}},
                   {"wait4", "reaping children (the plugin is pid 1 of its namespace)", {}},
                   {"waitid", "reaping children", {}},
                   {"kill", "signals within its pid namespace and uid", {}},
                   {"tgkill", "signals to its own threads (raise, abort)", {}},
                   {"tkill", "signals to its own threads", {}},
                   {"getpid", "identity", {}},
                   {"gettid", "identity", {}},
                   {"getppid", "identity", {}},
                   {"getpgrp", "identity", {}},
                   {"getpgid", "identity", {}},
                   {"getsid", "identity", {}},
                   {"setsid", "daemon-style session handling", {}},
                   {"setpgid", "process groups of its children", {}},
                   {"getuid", "identity", {}},
                   {"geteuid", "identity", {}},
                   {"getgid", "identity", {}},
                   {"getegid", "identity", {}},
                   {"getresuid", "identity", {}},
                   {"getresgid", "identity", {}},
                   {"getgroups", "identity", {}},
                   {"capget", "libraries probing their capabilities", {}},
                   {"prctl",
                    "thread names, PR_SET_PDEATHSIG, ...; the options that matter need "
                    "capabilities the plugin does not have",
                    {}},
                   {"arch_prctl", "TLS setup (ARCH_SET_FS) by the loader and libc", {}},
                   {"set_tid_address", "libc thread start-up", {}},
                   {"set_robust_list", "libc thread start-up", {}},
                   {"get_robust_list", "libc robust mutexes", {}},
                   {"rseq", "libc restartable sequences", {}},
                   {"futex", "every lock and condition variable", {}},
                   {"futex_waitv", "vectored futex waits", {}},
                   {"sched_yield", "spin-then-yield locks", {}},
                   {"sched_getaffinity", "CPU count (std::thread::hardware_concurrency, gRPC)", {}},
                   {"sched_setaffinity", "pinning its own threads", {}},
                   {"sched_getscheduler", "reading its own threads' scheduling class", {}},
                   {"sched_getparam", "reading its own threads' priority", {}},
                   {"sched_getattr", "reading its own threads' scheduling attributes", {}},
                   {"sched_get_priority_max", "priority range of a class", {}},
                   {"sched_get_priority_min", "priority range of a class", {}},
                   {"getcpu", "per-CPU caches in allocators", {}},
                   {"getrlimit", "its own limits", {}},
                   {"prlimit64", "its own limits (raising needs CAP_SYS_RESOURCE)", {}},
                   {"getrusage", "its own resource usage", {}},
                   {"getpriority", "its own priority", {}},
                   {"uname", "libc and gRPC feature checks", {}},
                   {"sysinfo", "memory size checks", {}},
                   {"getrandom", "key generation, hash seeds", {}},
               }});
  g.push_back({"signals",
               "signal handling",
               false,
               {
                   {"rt_sigaction", "handlers", {}},
                   {"rt_sigprocmask", "masks", {}},
                   {"rt_sigreturn", "return from a handler", {}},
                   {"rt_sigpending", "pending signals", {}},
                   {"rt_sigtimedwait", "synchronous signal handling", {}},
                   {"rt_sigsuspend", "waiting for a signal", {}},
                   {"rt_tgsigqueueinfo", "signals with data to its own threads", {}},
                   {"sigaltstack", "stack overflow handlers", {}},
                   {"restart_syscall", "restarting interrupted calls", {}},
                   {"pause", "waiting for a signal", {}},
                   {"alarm", "timers", {}},
                   {"getitimer", "timers", {}},
                   {"setitimer", "timers", {}},
                   {"signalfd4", "signals as descriptors (event loops)", {}},
               }});
  g.push_back({"time",
               "clocks, sleeps and timers",
               false,
               {
                   {"clock_gettime", "clocks (usually in the vDSO)", {}},
                   {"clock_getres", "clocks", {}},
                   {"clock_nanosleep", "sleeps", {}},
                   {"nanosleep", "sleeps", {}},
                   {"gettimeofday", "clocks", {}},
                   {"time", "clocks", {}},
                   {"timerfd_create", "timers in event loops", {}},
                   {"timerfd_settime", "timers in event loops", {}},
                   {"timerfd_gettime", "timers in event loops", {}},
                   {"timer_create", "POSIX timers", {}},
                   {"timer_settime", "POSIX timers", {}},
                   {"timer_gettime", "POSIX timers", {}},
                   {"timer_getoverrun", "POSIX timers", {}},
                   {"timer_delete", "POSIX timers", {}},
               }});
  g.push_back({"events",
               "waiting on descriptors (gRPC's event engine)",
               false,
               {
                   {"epoll_create", "event loops", {}},
                   {"epoll_create1", "event loops", {}},
                   {"epoll_ctl", "event loops", {}},
                   {"epoll_wait", "event loops", {}},
                   {"epoll_pwait", "event loops", {}},
                   {"epoll_pwait2", "event loops", {}},
                   {"poll", "event loops", {}},
                   {"ppoll", "event loops", {}},
                   {"select", "event loops", {}},
                   {"pselect6", "event loops", {}},
                   {"eventfd2", "wakeups", {}},
               }});
  g.push_back({"sockets",
               "unix and IP sockets: the gRPC server on /run, pre-opened sockets",
               false,
               {
                   {"socket", "AF_UNIX, AF_INET, AF_INET6 only",
                    SocketDomains({AF_UNIX, AF_INET, AF_INET6})},
                   {"socketpair", "AF_UNIX only", SocketDomains({AF_UNIX})},
                   {"bind", "its server socket", {}},
                   {"listen", "its server socket", {}},
                   {"accept", "connections", {}},
                   {"accept4", "connections", {}},
                   {"connect", "outgoing connections (empty network namespace unless granted)", {}},
                   {"getsockname", "socket addresses", {}},
                   {"getpeername", "socket addresses", {}},
                   {"setsockopt", "socket options", {}},
                   {"getsockopt", "socket options, SO_PEERCRED", {}},
                   {"sendto", "datagrams", {}},
                   {"recvfrom", "datagrams", {}},
                   {"sendmsg", "gRPC, descriptor passing", {}},
                   {"recvmsg", "gRPC, descriptor passing", {}},
                   {"sendmmsg", "batched datagrams", {}},
                   {"recvmmsg", "batched datagrams (log aggregation)", {}},
                   {"shutdown", "half-close", {}},
               }});
  g.push_back({"ioctl",
               "the few ioctl requests libc and gRPC issue; others are ENOSYS",
               false,
               {
                   {"ioctl",
                    "TCGETS (isatty), TIOCGWINSZ, FIONREAD, FIONBIO, FIOCLEX, FIONCLEX, "
                    "compared on all 64 bits",
                    ArgCheck{1,
                             ArgCheck::kEqualsAny,
                             {TCGETS, TIOCGWINSZ, FIONREAD, FIONBIO, FIOCLEX, FIONCLEX},
                             0}},
               }});
  // Optional groups: the manifest asks, the host config grants.
  g.push_back({"bpf",
               "loading and attaching BPF programs (with CAP_BPF)",
               true,
               {{"bpf", "the bpf(2) syscall itself", {}}}});
  g.push_back({"perf",
               "perf events, e.g. to attach BPF to tracepoints (with CAP_PERFMON)",
               true,
               {{"perf_event_open", "perf events", {}}}});
  g.push_back({"netlink",
               "netlink sockets (interfaces, routes, sock_diag)",
               true,
               {{"socket", "AF_NETLINK", SocketDomains({AF_NETLINK})}}});
  g.push_back({"packet",
               "raw packet sockets (with CAP_NET_RAW)",
               true,
               {{"socket", "AF_PACKET", SocketDomains({AF_PACKET})}}});
  g.push_back({"realtime",
               "real-time threads and locked memory (raising a class needs CAP_SYS_NICE, "
               "locking beyond RLIMIT_MEMLOCK needs CAP_IPC_LOCK; the scheduler plugin)",
               true,
               {
                   {"sched_setscheduler", "SCHED_FIFO timer threads", {}},
                   {"sched_setparam", "changing a real-time thread's priority", {}},
                   {"sched_setattr", "scheduling attributes (what newer libcs call)", {}},
                   {"mlockall", "keeping the process resident (no page faults on a tick)", {}},
                   {"munlockall", "undoing mlockall when the config says so", {}},
                   {"mlock", "locking one buffer", {}},
                   {"mlock2", "locking one buffer on fault", {}},
                   {"munlock", "unlocking one buffer", {}},
               }});
  g.push_back({"inotify",
               "watching files in its data dir",
               true,
               {
                   {"inotify_init1", "watches", {}},
                   {"inotify_add_watch", "watches", {}},
                   {"inotify_rm_watch", "watches", {}},
               }});
  return g;
}

std::vector<SyscallRule> MakeDenied() {
  const char* kEscape = "reaches outside the sandbox";
  return {
      {"ptrace", "inspects or controls other processes", {}},
      {"process_vm_readv", "reads another process's memory", {}},
      {"process_vm_writev", "writes another process's memory", {}},
      {"process_madvise", "acts on another process's memory", {}},
      {"pidfd_getfd", "steals another process's descriptors", {}},
      {"kcmp", "probes other processes' kernel objects", {}},
      {"mount", kEscape, {}},
      {"umount2", "could uncover what the sandbox hides", {}},
      {"pivot_root", kEscape, {}},
      {"chroot", kEscape, {}},
      {"mount_setattr", kEscape, {}},
      {"move_mount", kEscape, {}},
      {"open_tree", kEscape, {}},
      {"fsopen", kEscape, {}},
      {"fsconfig", kEscape, {}},
      {"fsmount", kEscape, {}},
      {"fspick", kEscape, {}},
      {"unshare", "new namespaces (a user namespace re-grants capabilities)", {}},
      {"setns", "enters other namespaces", {}},
      {"clone", "new namespaces", ArgCheck{0, ArgCheck::kMaskedAnyBit, {}, kCloneNamespaceFlags}},
      {"bpf", "kernel attack surface; granted by the \"bpf\" group", {}},
      {"perf_event_open", "kernel attack surface and side channels; granted by \"perf\"", {}},
      {"keyctl", "kernel keyrings are not namespaced", {}},
      {"add_key", "kernel keyrings are not namespaced", {}},
      {"request_key", "kernel keyrings are not namespaced", {}},
      {"io_uring_setup", "bypasses this filter (io_uring ops are not syscalls)", {}},
      {"io_uring_enter", "bypasses this filter", {}},
      {"io_uring_register", "bypasses this filter", {}},
      {"userfaultfd", "widens kernel race windows", {}},
      {"kexec_load", "replaces the kernel", {}},
      {"kexec_file_load", "replaces the kernel", {}},
      {"init_module", "loads kernel code", {}},
      {"finit_module", "loads kernel code", {}},
      {"delete_module", "unloads kernel code", {}},
      {"reboot", "host-wide", {}},
      {"swapon", "host-wide", {}},
      {"swapoff", "host-wide", {}},
      {"acct", "host-wide", {}},
      {"quotactl", "host-wide", {}},
      {"quotactl_fd", "host-wide", {}},
      {"settimeofday", "host clock", {}},
      {"clock_settime", "host clock", {}},
      {"clock_adjtime", "host clock", {}},
      {"adjtimex", "host clock", {}},
      {"iopl", "raw port I/O", {}},
      {"ioperm", "raw port I/O", {}},
      {"syslog", "kernel log (address leaks)", {}},
      {"open_by_handle_at", "opens files outside the root by handle", {}},
      {"name_to_handle_at", "pairs with open_by_handle_at", {}},
      {"lookup_dcookie", "kernel internals", {}},
      {"personality", "can disable ASLR", {}},
      {"uselib", "obsolete loader path", {}},
      {"vhangup", "terminal control", {}},
      {"fanotify_init", "watches the whole file system", {}},
      {"mknod", "device nodes", {}},
      {"mknodat", "device nodes", {}},
      {"setuid", "identity is fixed by the host", {}},
      {"setgid", "identity is fixed by the host", {}},
      {"setreuid", "identity is fixed by the host", {}},
      {"setregid", "identity is fixed by the host", {}},
      {"setresuid", "identity is fixed by the host", {}},
      {"setresgid", "identity is fixed by the host", {}},
      {"setfsuid", "identity is fixed by the host", {}},
      {"setfsgid", "identity is fixed by the host", {}},
      {"setgroups", "identity is fixed by the host", {}},
      {"capset", "capabilities are fixed by the host", {}},
      {"ioctl",
       "TIOCSTI/TIOCLINUX inject input into a terminal; matched on the low 32 bits "
       "so high bits do not hide them",
       ArgCheck{1, ArgCheck::kLow32Any, {TIOCSTI, TIOCLINUX}, 0}},
  };
}

}  // namespace

const std::vector<SyscallGroup>& SyscallGroups() {
  static const std::vector<SyscallGroup>* groups = new std::vector<SyscallGroup>(MakeGroups());
  return *groups;
}

const std::vector<SyscallRule>& DeniedSyscalls() {
  static const std::vector<SyscallRule>* denied = new std::vector<SyscallRule>(MakeDenied());
  return *denied;
}

std::vector<std::string> OptionalGroupNames() {
  std::vector<std::string> names;
  for (const SyscallGroup& g : SyscallGroups()) {
    if (g.optional) names.push_back(g.name);
  }
  return names;
}

absl::StatusOr<std::vector<const SyscallGroup*>> SelectGroups(
    const std::vector<std::string>& requested) {
  std::vector<const SyscallGroup*> out;
  for (const SyscallGroup& g : SyscallGroups()) {
    if (!g.optional) out.push_back(&g);
  }
  for (const std::string& name : requested) {
    const SyscallGroup* found = nullptr;
    for (const SyscallGroup& g : SyscallGroups()) {
      if (g.optional && name == g.name) found = &g;
    }
    if (found == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("seccomp: unknown optional syscall group \"", name, "\""));
    }
    bool dup = false;
    for (const SyscallGroup* g : out) dup = dup || g == found;
    if (!dup) out.push_back(found);
  }
  return out;
}

}  // namespace paddock::sandbox
