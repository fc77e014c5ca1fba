#include "sandbox/cgroup_fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "paddock/errno_status.h"
#include "paddock/fd.h"

namespace paddock::sandbox {
namespace {

class Real final : public CgroupFs {
 public:
  absl::StatusOr<std::string> Read(const std::string& path) override {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return ErrnoStatus(errno, absl::StrCat("cgroup: open ", path));
    std::string out;
    char buf[4096];
    while (true) {
      ssize_t n = ::read(fd.get(), buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ErrnoStatus(errno, absl::StrCat("cgroup: read ", path));
      if (n == 0) break;
      out.append(buf, static_cast<size_t>(n));
      if (out.size() > (1 << 20)) return absl::OutOfRangeError("cgroup: " + path + " too large");
    }
    return out;
  }

  absl::Status Write(const std::string& path, std::string_view value) override {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) return ErrnoStatus(errno, absl::StrCat("cgroup: open ", path));
    ssize_t n;
    do {
      n = ::write(fd.get(), value.data(), value.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      return ErrnoStatus(errno,
                         absl::StrCat("cgroup: write \"", std::string(value), "\" to ", path));
    }
    return absl::OkStatus();
  }

  bool Exists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }

  absl::Status MakeDir(const std::string& path) override {
    if (::mkdir(path.c_str(), 0755) < 0 && errno != EEXIST) {
      return ErrnoStatus(errno, absl::StrCat("cgroup: mkdir ", path));
    }
    return absl::OkStatus();
  }

  absl::Status RemoveDir(const std::string& path) override {
    if (::rmdir(path.c_str()) < 0 && errno != ENOENT) {
      return ErrnoStatus(errno, absl::StrCat("cgroup: rmdir ", path));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<std::string>> SubDirs(const std::string& path) override {
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) return ErrnoStatus(errno, absl::StrCat("cgroup: opendir ", path));
    std::vector<std::string> out;
    while (dirent* e = ::readdir(dir)) {
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      struct stat st {};
      if (::fstatat(::dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
          S_ISDIR(st.st_mode)) {
        out.push_back(std::move(name));
      }
    }
    ::closedir(dir);
    return out;
  }

  absl::Status Signal(pid_t pid, int sig) override {
    if (::kill(pid, sig) < 0 && errno != ESRCH) {
      return ErrnoStatus(errno, absl::StrCat("cgroup: kill ", pid));
    }
    return absl::OkStatus();
  }
};

}  // namespace

std::shared_ptr<CgroupFs> RealCgroupFs() {
  static std::shared_ptr<CgroupFs>* real = new std::shared_ptr<CgroupFs>(std::make_shared<Real>());
  return *real;
}

}  // namespace paddock::sandbox
