// The launcher: prepares everything in the parent (strings, arrays, descriptor plan) so
// that the child, between clone and exec, runs a checklist of async-signal-safe steps
// and nothing else. Each step returns a ChildResult; the first failure goes to the
// parent over the error pipe and the child exits before any plugin code runs.
#include "sandbox/launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "paddock/errno_status.h"
#include "sandbox/child_result.h"
#include "sandbox/clone.h"
#include "sandbox/error_pipe.h"
#include "sandbox/fds.h"
#include "sandbox/kernel.h"
#include "sandbox/pdeathsig.h"
#include "sandbox/signals.h"

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

absl::Status CheckNoNul(const std::vector<std::string>& strings, std::string_view what) {
  for (const std::string& s : strings) {
    if (s.find('\0') != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("launch: ", std::string(what), " contains a NUL byte"));
    }
  }
  return absl::OkStatus();
}

// Everything the child needs, computed before the clone. The child works on its own
// copy-on-write copy and may update it (descriptor numbers move).
struct ChildPlan {
  FdPlan fds;
  std::vector<char*> argv;
  std::vector<char*> envp;
};

// The checklist. Returns only on failure.
ChildResult ConfineAndExec(ChildPlan& plan) {
  PADDOCK_CHILD_TRY(ResetSignalsInChild());
  PADDOCK_CHILD_TRY(DieWithParentInChild(plan.fds.internal(kParentFd)));
  PADDOCK_CHILD_TRY(plan.fds.ApplyInChild());
  kernel::ExecveAt(plan.fds.internal(kExecFd), "", plan.argv.data(), plan.envp.data(),
                   AT_EMPTY_PATH);
  return ChildResult::Fail("execveat", errno);
}

[[noreturn]] void RunChild(ChildPlan& plan) {
  ChildResult result = ConfineAndExec(plan);
  ReportAndExit(plan.fds.internal(kErrorPipeFd), result);
}

// Reaps a child that failed or must be abandoned during the launch.
void KillAndReap(int pidfd) {
  kernel::PidfdSendSignal(pidfd, SIGKILL);
  siginfo_t info{};
  while (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &info, WEXITED) < 0 &&
         errno == EINTR) {
  }
}

}  // namespace

absl::StatusOr<Child> Launch(LaunchSpec spec) {
  if (spec.exec_fd < 0) return absl::InvalidArgumentError("launch: no executable image");
  if (spec.argv.empty()) return absl::InvalidArgumentError("launch: empty argv");
  if (absl::Status s = CheckNoNul(spec.argv, "argv"); !s.ok()) return s;
  if (absl::Status s = CheckNoNul(spec.env, "env"); !s.ok()) return s;
  for (const std::string& e : spec.env) {
    if (e.find('=') == std::string::npos || e.front() == '=') {
      return absl::InvalidArgumentError(
          absl::StrCat("launch: env entry \"", e, "\" is not NAME=VALUE"));
    }
  }
  if (spec.policy.enabled) {
    return absl::UnimplementedError("launch: confinement (policy.enabled) is not implemented yet");
  }

  std::vector<std::pair<int, int>> mappings;
  for (const FdMapping& m : spec.fds) mappings.emplace_back(m.fd.get(), m.target);
  absl::StatusOr<FdPlan> fds = FdPlan::Create(mappings);
  if (!fds.ok())
    return absl::InvalidArgumentError(absl::StrCat("launch: ", fds.status().message()));

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) < 0) return ErrnoStatus(errno, "launch: pipe2");
  UniqueFd error_read(pipe_fds[0]);
  UniqueFd error_write(pipe_fds[1]);
  absl::StatusOr<UniqueFd> self = OpenSelfPidfd();
  if (!self.ok()) return self.status();

  ChildPlan plan{*std::move(fds), CStringArray(spec.argv), CStringArray(spec.env)};
  plan.fds.SetInternal(kErrorPipeFd, error_write.get());
  plan.fds.SetInternal(kExecFd, spec.exec_fd);
  plan.fds.SetInternal(kParentFd, self->get());

  int pidfd = -1;
  pid_t pid;
  {
    ScopedBlockAllSignals blocked;
    pid = CloneWithPidfd(0, &pidfd);
    if (pid == 0) RunChild(plan);
  }
  if (pid < 0) return ErrnoStatus(errno, "launch: clone");
  UniqueFd child_pidfd(pidfd);
  error_write.Reset();  // Only the child's copy may remain, so exec or exit gives EOF.

  absl::StatusOr<std::optional<ChildFailure>> failure = ReadChildFailure(error_read.get());
  if (!failure.ok() || failure->has_value()) {
    KillAndReap(child_pidfd.get());
    if (!failure.ok()) return failure.status();
    return ErrnoStatus((*failure)->err, absl::StrCat("launch: ", (*failure)->step));
  }
  return Child{pid, std::move(child_pidfd)};
}

}  // namespace paddock::sandbox
