// The seam between cgroup logic and the kernel: every cgroupfs access (and the kill(2)
// used to empty a v1 cgroup) goes through CgroupFs, so the logic is unit-tested against
// a fake tree in a temp dir while integration tests use the real /sys/fs/cgroup.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace paddock::sandbox {

class CgroupFs {
 public:
  virtual ~CgroupFs() = default;
  // The whole content of a cgroup file.
  virtual absl::StatusOr<std::string> Read(const std::string& path) = 0;
  // Writes `value` to an existing cgroup file in one write(2) (cgroupfs parses per write).
  virtual absl::Status Write(const std::string& path, std::string_view value) = 0;
  virtual bool Exists(const std::string& path) = 0;
  // Creates a directory; OK when it already exists.
  virtual absl::Status MakeDir(const std::string& path) = 0;
  // Removes a cgroup directory; OK when it does not exist. EBUSY while tasks remain.
  virtual absl::Status RemoveDir(const std::string& path) = 0;
  // Names of the subdirectories of `path`.
  virtual absl::StatusOr<std::vector<std::string>> SubDirs(const std::string& path) = 0;
  // kill(pid, sig).
  virtual absl::Status Signal(pid_t pid, int sig) = 0;
};

// The real file system (thread-safe: it has no state).
std::shared_ptr<CgroupFs> RealCgroupFs();

}  // namespace paddock::sandbox
