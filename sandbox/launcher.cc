// The launcher: prepares everything in the parent (strings, arrays, mount plan, BPF
// program, descriptor plan) so that the child, between clone and exec, runs a checklist
// of async-signal-safe steps and nothing else. Each step returns a ChildResult; the
// first failure goes to the parent over the error pipe and the child exits before any
// plugin code runs (fail closed).
#include "sandbox/launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "paddock/errno_status.h"
#include "sandbox/caps.h"
#include "sandbox/cgroup_join.h"
#include "sandbox/child_result.h"
#include "sandbox/clone.h"
#include "sandbox/elf_deps.h"
#include "sandbox/error_pipe.h"
#include "sandbox/fds.h"
#include "sandbox/kernel.h"
#include "sandbox/mount.h"
#include "sandbox/namespaces.h"
#include "sandbox/pdeathsig.h"
#include "sandbox/rlimit.h"
#include "sandbox/seccomp.h"
#include "sandbox/signals.h"
#include "sandbox/uid.h"

namespace paddock::sandbox {
namespace {

// A NULL-terminated char* array over strings owned elsewhere (execve's argv/envp).
std::vector<char*> CStringArray(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

absl::Status CheckSpec(const LaunchSpec& spec) {
  if (spec.exec_fd < 0) return absl::InvalidArgumentError("launch: no executable image");
  if (spec.argv.empty()) return absl::InvalidArgumentError("launch: empty argv");
  for (const std::string& a : spec.argv) {
    if (a.find('\0') != std::string::npos) {
      return absl::InvalidArgumentError("launch: argv contains a NUL byte");
    }
  }
  for (const std::string& e : spec.env) {
    if (e.find('\0') != std::string::npos) {
      return absl::InvalidArgumentError("launch: env contains a NUL byte");
    }
    if (e.find('=') == std::string::npos || e.front() == '=') {
      return absl::InvalidArgumentError(
          absl::StrCat("launch: env entry \"", e, "\" is not NAME=VALUE"));
    }
  }
  return absl::OkStatus();
}

// The confinement part of the plan (policy.enabled only).
struct ConfinedPlan {
  std::vector<std::string> cgroup_procs;
  MountPlan mounts;
  std::string hostname;
  bool loopback;
  RlimitPlan rlimits;
  uid_t uid;
  gid_t gid;
  CapPlan caps;
  SeccompPlan seccomp;
};

// Everything the child needs, computed before the clone. The child works on its own
// copy-on-write copy and may update it (descriptor numbers move).
struct ChildPlan {
  FdPlan fds;
  std::vector<char*> argv;
  std::vector<char*> envp;
  std::optional<ConfinedPlan> confined;
};

absl::StatusOr<ConfinedPlan> PlanConfinement(const LaunchSpec& spec) {
  const Policy& policy = spec.policy;
  if (absl::Status s = CheckIdentity(policy.uid, policy.gid); !s.ok()) return s;
  if (absl::Status s = CheckHostname(policy.hostname); !s.ok()) return s;
  absl::StatusOr<std::vector<std::string>> procs = CgroupProcsFiles(policy.cgroup_dirs);
  if (!procs.ok()) return procs.status();
  absl::StatusOr<ElfDeps> deps = ResolveElfDeps(spec.exec_fd);
  if (!deps.ok()) return deps.status();
  absl::StatusOr<MountPlan> mounts = MountPlan::Create(policy, *deps);
  if (!mounts.ok()) return mounts.status();
  absl::StatusOr<RlimitPlan> rlimits = RlimitPlan::Create(policy);
  if (!rlimits.ok()) return rlimits.status();
  absl::StatusOr<CapPlan> caps = CapPlan::Create(policy.capabilities);
  if (!caps.ok()) return caps.status();
  absl::StatusOr<SeccompPlan> seccomp = SeccompPlan::Create(policy.syscall_groups);
  if (!seccomp.ok()) return seccomp.status();
  return ConfinedPlan{*std::move(procs),  *std::move(mounts),  policy.hostname,
                      policy.new_network, *std::move(rlimits), policy.uid,
                      policy.gid,         *std::move(caps),    *std::move(seccomp)};
}

// The checklist for a confined child, in order. Runs as root in the new namespaces.
ChildResult Confine(ConfinedPlan& c, FdPlan& fds) {
  // Accounted from the first page on, and /proc/self/cgroup then reads "/".
  PADDOCK_CHILD_TRY(JoinCgroupsInChild(c.cgroup_procs));
  PADDOCK_CHILD_TRY(EnterCgroupNamespaceInChild());
  // Host descriptors go before anything touches the file system.
  PADDOCK_CHILD_TRY(fds.ApplyInChild());
  PADDOCK_CHILD_TRY(c.mounts.ApplyInChild());
  PADDOCK_CHILD_TRY(SetHostnameInChild(c.hostname));
  if (c.loopback) PADDOCK_CHILD_TRY(BringUpLoopbackInChild());
  PADDOCK_CHILD_TRY(c.rlimits.ApplyInChild());
  // Bounding set first: dropping needs CAP_SETPCAP, which the uid change takes away.
  PADDOCK_CHILD_TRY(c.caps.DropBoundingSetInChild());
  PADDOCK_CHILD_TRY(ChangeIdentityInChild(c.uid, c.gid));
  PADDOCK_CHILD_TRY(c.caps.ApplyInChild());
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
    return ChildResult::Fail("PR_SET_NO_NEW_PRIVS", errno);
  }
  // The uid change cleared PR_SET_PDEATHSIG (commit_creds): set it again and re-check.
  PADDOCK_CHILD_TRY(DieWithParentInChild(fds.internal(kParentFd)));
  // Last: from here on only the filter's allowed syscalls work (execveat among them).
  PADDOCK_CHILD_TRY(c.seccomp.LoadInChild(fds.internal(kNotifySocketFd)));
  return ChildResult::Ok();
}

// The whole child. Returns only on failure.
ChildResult ConfineAndExec(ChildPlan& plan) {
  PADDOCK_CHILD_TRY(ResetSignalsInChild());
  // Its own session: a Ctrl-C in the host's terminal reaches the host, which then stops
  // the plugin in order, instead of reaching every plugin at once.
  if (::setsid() < 0) return ChildResult::Fail("setsid", errno);
  PADDOCK_CHILD_TRY(DieWithParentInChild(plan.fds.internal(kParentFd)));
  if (plan.confined) {
    PADDOCK_CHILD_TRY(Confine(*plan.confined, plan.fds));
  } else {
    PADDOCK_CHILD_TRY(plan.fds.ApplyInChild());
  }
  kernel::ExecveAt(plan.fds.internal(kExecFd), "", plan.argv.data(), plan.envp.data(),
                   AT_EMPTY_PATH);
  return ChildResult::Fail("execveat", errno);
}

[[noreturn]] void RunChild(ChildPlan& plan) {
  ChildResult result = ConfineAndExec(plan);
  ReportAndExit(plan.fds.internal(kErrorPipeFd), result);
}

// Reaps a child that failed or must be abandoned during the launch.
// "launch: STEP[ DETAIL]" for a failure the child reported.
std::string FailureContext(const ChildPlan& plan, const LaunchSpec& spec,
                           const ChildFailure& failure) {
  std::string context = absl::StrCat("launch: ", failure.step);
  if (failure.detail < 0) return context;
  const std::string& step = failure.step;
  if (plan.confined && (step == "bind mount" || step == "remount bind")) {
    absl::StrAppend(&context, " ", plan.confined->mounts.Describe(failure.detail));
  } else if (step == "drop bounding capability" || step == "raise ambient capability") {
    absl::StrAppend(&context, " ", CapabilityName(failure.detail));
  } else if ((step == "open cgroup.procs" || step == "join cgroup") &&
             static_cast<size_t>(failure.detail) < spec.policy.cgroup_dirs.size()) {
    absl::StrAppend(&context, " ", spec.policy.cgroup_dirs[static_cast<size_t>(failure.detail)]);
  } else {
    absl::StrAppend(&context, " #", failure.detail);
  }
  return context;
}

Confinement Describe(const LaunchSpec& spec, const ChildPlan& plan) {
  Confinement c;
  if (!plan.confined) return c;
  const Policy& p = spec.policy;
  c.enabled = true;
  c.namespaces = NamespaceNames(p);
  c.root = p.root_dir;
  c.mounts = plan.confined->mounts.Summary();
  c.uid = p.uid;
  c.gid = p.gid;
  for (int cap : p.capabilities) c.capabilities.push_back(CapabilityName(cap));
  c.seccomp_mode = "filter";
  c.seccomp_groups = plan.confined->seccomp.group_names();
  c.cgroup_dirs = p.cgroup_dirs;
  return c;
}

}  // namespace

absl::StatusOr<Child> Launch(LaunchSpec spec) {
  if (absl::Status s = CheckSpec(spec); !s.ok()) return s;
  std::vector<std::pair<int, int>> mappings;
  for (const FdMapping& m : spec.fds) mappings.emplace_back(m.fd.get(), m.target);
  absl::StatusOr<FdPlan> fds = FdPlan::Create(mappings);
  if (!fds.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("launch: ", fds.status().message()));
  }
  std::optional<ConfinedPlan> confined;
  if (spec.policy.enabled) {
    absl::StatusOr<ConfinedPlan> c = PlanConfinement(spec);
    if (!c.ok()) return c.status();
    confined.emplace(*std::move(c));
  }

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) < 0) return ErrnoStatus(errno, "launch: pipe2");
  UniqueFd error_read(pipe_fds[0]);
  UniqueFd error_write(pipe_fds[1]);
  UniqueFd notify_parent, notify_child;
  if (confined) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
      return ErrnoStatus(errno, "launch: socketpair");
    }
    notify_parent.Reset(sv[0]);
    notify_child.Reset(sv[1]);
  }
  absl::StatusOr<UniqueFd> self = OpenSelfPidfd();
  if (!self.ok()) return self.status();

  ChildPlan plan{*std::move(fds), CStringArray(spec.argv), CStringArray(spec.env),
                 std::move(confined)};
  plan.fds.SetInternal(kErrorPipeFd, error_write.get());
  plan.fds.SetInternal(kExecFd, spec.exec_fd);
  plan.fds.SetInternal(kParentFd, self->get());
  plan.fds.SetInternal(kNotifySocketFd, notify_child.get());

  int pidfd = -1;
  pid_t pid;
  {
    ScopedBlockAllSignals blocked;
    pid = CloneWithPidfd(CloneFlags(spec.policy), &pidfd);
    if (pid == 0) RunChild(plan);
  }
  if (pid < 0) return ErrnoStatus(errno, "launch: clone");
  Child child;
  child.pid = pid;
  child.pidfd.Reset(pidfd);
  // Only the child's copies may remain, so its exec or exit gives EOF.
  error_write.Reset();
  notify_child.Reset();

  absl::StatusOr<std::optional<ChildFailure>> failure = ReadChildFailure(error_read.get());
  if (!failure.ok()) {
    KillAndReap(child.pidfd.get());
    return failure.status();
  }
  if (failure->has_value()) {
    KillAndReap(child.pidfd.get());
    return ErrnoStatus((*failure)->err, FailureContext(plan, spec, **failure));
  }
  if (plan.confined) {
    absl::StatusOr<UniqueFd> listener = ReceiveSeccompListener(notify_parent.get());
    if (!listener.ok()) {
      // EOF without a listener: the child died before exec without reporting (e.g.
      // SIGKILLed by the OOM killer while setting up).
      KillAndReap(child.pidfd.get());
      return listener.status();
    }
    child.seccomp_listener = *std::move(listener);
  }
  child.confinement = Describe(spec, plan);
  return child;
}

}  // namespace paddock::sandbox
