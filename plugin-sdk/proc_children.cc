// Zombie children from /proc (see proc_children.h).
#include "plugin-sdk/proc_children.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "paddock/errno_status.h"
#include "paddock/fd.h"

namespace paddock::sdk {
namespace {

bool AllDigits(const char* s) {
  if (*s == '\0') return false;
  for (; *s; ++s) {
    if (*s < '0' || *s > '9') return false;
  }
  return true;
}

// One read: a stat line is far below a page.
bool ReadStat(int dir_fd, const char* pid, std::string* out) {
  std::string path = std::string(pid) + "/stat";
  UniqueFd fd(::openat(dir_fd, path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return false;
  char buf[1024];
  ssize_t n;
  do {
    n = ::read(fd.get(), buf, sizeof(buf));
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return false;
  out->assign(buf, static_cast<size_t>(n));
  return true;
}

}  // namespace

bool ParseProcStat(const std::string& stat, char* state, pid_t* ppid) {
  size_t close = stat.rfind(')');
  // ") S 123 ..."
  if (close == std::string::npos || close + 4 >= stat.size() || stat[close + 1] != ' ' ||
      stat[close + 3] != ' ') {
    return false;
  }
  const char* p = stat.c_str() + close + 4;
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(p, &end, 10);
  if (end == p || errno != 0 || v < 0 || (*end != ' ' && *end != '\n' && *end != '\0')) {
    return false;
  }
  *state = stat[close + 2];
  *ppid = static_cast<pid_t>(v);
  return true;
}

absl::StatusOr<std::vector<pid_t>> ZombieChildren(const std::string& proc_root, pid_t parent) {
  UniqueDir dir(::opendir(proc_root.c_str()));
  if (!dir) return ErrnoStatus(errno, "open " + proc_root);
  std::vector<pid_t> out;
  std::string stat;
  while (dirent* e = ::readdir(dir.get())) {
    if (!AllDigits(e->d_name)) continue;
    char state;
    pid_t ppid;
    if (ReadStat(::dirfd(dir.get()), e->d_name, &stat) && ParseProcStat(stat, &state, &ppid) &&
        state == 'Z' && ppid == parent) {
      out.push_back(static_cast<pid_t>(std::atoi(e->d_name)));
    }
  }
  return out;
}

}  // namespace paddock::sdk
