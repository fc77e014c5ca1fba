#include "sandbox/cgroup_join.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "paddock/errno_status.h"

namespace paddock::sandbox {

absl::StatusOr<std::vector<std::string>> CgroupProcsFiles(const std::vector<std::string>& dirs) {
  std::vector<std::string> files;
  for (const std::string& dir : dirs) {
    if (dir.empty() || dir[0] != '/') {
      return absl::InvalidArgumentError(absl::StrCat("cgroup: \"", dir, "\" is not absolute"));
    }
    std::string tasks = dir + "/tasks";  // v1 only; see the header.
    if (::access(tasks.c_str(), W_OK) == 0) {
      files.push_back(std::move(tasks));
      continue;
    }
    std::string file = dir + "/cgroup.procs";
    if (::access(file.c_str(), W_OK) < 0) return ErrnoStatus(errno, absl::StrCat("cgroup: ", file));
    files.push_back(std::move(file));
  }
  return files;
}

ChildResult JoinCgroupsInChild(const std::vector<std::string>& procs_files) {
  for (size_t i = 0; i < procs_files.size(); ++i) {
    int index = static_cast<int>(i);
    int fd = ::open(procs_files[i].c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return ChildResult::Fail("open cgroup.procs", errno, index);
    ssize_t n;
    do {
      n = ::write(fd, "0", 1);
    } while (n < 0 && errno == EINTR);
    int err = errno;
    ::close(fd);
    if (n != 1) return ChildResult::Fail("join cgroup", n < 0 ? err : EIO, index);
  }
  return ChildResult::Ok();
}

}  // namespace paddock::sandbox
