// Helpers for the sandbox tests: sealed images of test programs, running a spec to
// completion and collecting what the child printed and how it ended.
#pragma once

#include <signal.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "paddock/fd.h"
#include "sandbox/launcher.h"

namespace paddock::sandbox::testing {

// A sealed memfd image of the file at `path`, cached for the life of the test binary
// (LaunchSpec::exec_fd is borrowed). Fails the test if the file cannot be read.
int CachedImage(const std::string& path);

// A spec running the probe (tests/sandbox/probe.cc) with `args`, unconfined.
LaunchSpec ProbeSpec(std::vector<std::string> args);
// A spec running a memfd copy of /bin/sh -c `script`, unconfined.
LaunchSpec ShSpec(std::string script);

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};
Pipe MakePipe();
// Reads `fd` until EOF; a test failure if no data or EOF arrives within `timeout_ms`.
std::string ReadAll(int fd, int timeout_ms = 20000);

// How a child ended (waitid's si_code and si_status) and what it wrote on fd 1.
struct Outcome {
  int code = 0;    // CLD_EXITED, CLD_KILLED, CLD_DUMPED.
  int status = 0;  // Exit status or signal number.
  std::string out;
  std::vector<std::string> violations;  // Syscall names the seccomp listener reported.
  bool Exited(int want) const { return code == CLD_EXITED && status == want; }
  bool Killed(int sig) const { return (code == CLD_KILLED || code == CLD_DUMPED) && status == sig; }
};

// Waits (up to `timeout_ms`, then SIGKILLs) for the child behind `pidfd` and reaps it.
Outcome WaitPidfd(int pidfd, int timeout_ms = 20000);

// Adds a pipe at fd 1 to `spec`, launches it, reads the output to EOF (answering seccomp
// notifications meanwhile, as the host does) and reaps the child. Returns the launch
// error, if any.
absl::StatusOr<Outcome> LaunchAndWait(LaunchSpec spec, int timeout_ms = 20000);

// True when running as root; otherwise prints why the calling test is skipped.
bool RequireRoot();

// A temporary directory removed (it must be empty again) at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// ProbeSpec confined: root in a fresh temp dir, uid/gid 60123, nothing granted.
struct ConfinedProbe {
  TempDir root;
  LaunchSpec spec;
  explicit ConfinedProbe(std::vector<std::string> args);
};

}  // namespace paddock::sandbox::testing
