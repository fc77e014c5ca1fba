#include "sandbox/error_pipe.h"

#include <errno.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "paddock/errno_status.h"

namespace paddock::sandbox {
namespace {

// One report. Fixed size and well below PIPE_BUF, so the write is atomic.
struct Record {
  char step[56];
  int32_t err;
  int32_t detail;
};
static_assert(sizeof(Record) < PIPE_BUF);

}  // namespace

void ReportAndExit(int fd, ChildResult result) {
  Record record{};
  // Bounded copy without library calls (async-signal-safe by construction).
  const char* name = result.step != nullptr ? result.step : "unknown step";
  size_t i = 0;
  for (; i + 1 < sizeof(record.step) && name[i] != '\0'; ++i) record.step[i] = name[i];
  record.step[i] = '\0';
  record.err = result.err;
  record.detail = result.detail;
  const char* p = reinterpret_cast<const char*>(&record);
  size_t left = sizeof(record);
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // Nothing more can be done; the exit status still says "failed".
    p += n;
    left -= static_cast<size_t>(n);
  }
  ::_exit(kChildFailureExit);
}

absl::StatusOr<std::optional<ChildFailure>> ReadChildFailure(int fd) {
  Record record{};
  char* p = reinterpret_cast<char*>(&record);
  size_t got = 0;
  while (got < sizeof(record)) {
    ssize_t n = ::read(fd, p + got, sizeof(record) - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, "launch: read error pipe");
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  if (got == 0) return std::nullopt;
  if (got != sizeof(record)) {
    return absl::InternalError("launch: truncated error report from the child");
  }
  record.step[sizeof(record.step) - 1] = '\0';
  return ChildFailure{record.step, record.err, record.detail};
}

}  // namespace paddock::sandbox
