// The close-on-exec pipe over which the child reports a failed confinement step. A
// successful execveat closes the child's end, so the parent reads EOF; a failure writes
// one fixed-size record (step name + errno) and the child exits with kChildFailureExit.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "sandbox/child_result.h"

namespace paddock::sandbox {

// Exit status of a child whose confinement failed before exec.
inline constexpr int kChildFailureExit = 127;

// Child side. Writes `result` to `fd` and exits with kChildFailureExit. Async-signal-safe.
[[noreturn]] void ReportAndExit(int fd, ChildResult result);

// A failure as the parent received it.
struct ChildFailure {
  std::string step;
  int err = 0;
  int detail = -1;
};

// Parent side. Reads the child's report from `fd` until EOF. Returns nullopt when the
// pipe closed without a report (exec succeeded, or the child died before it could
// report), the failure when one arrived, or an error when reading failed or the report
// was malformed.
absl::StatusOr<std::optional<ChildFailure>> ReadChildFailure(int fd);

}  // namespace paddock::sandbox
