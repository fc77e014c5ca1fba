#include "sandbox/mount.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "paddock/errno_status.h"
#include "sandbox/kernel.h"

namespace paddock::sandbox {
namespace {

// Device nodes every plugin gets, bound from the host's /dev.
constexpr const char* kDevices[] = {"/dev/null", "/dev/zero", "/dev/urandom"};

// Read-only kernel facts bound for plugins granted the "bpf" syscall group (all are
// world-readable on the host): the kernel's type information, which libbpf's CO-RE
// relocation reads, and the possible-CPU mask, which sizes every per-CPU map value.
constexpr const char* kBpfFiles[] = {"/sys/kernel/btf/vmlinux", "/sys/devices/system/cpu/possible"};

// Size of the root tmpfs: it only ever holds empty mount points.
constexpr const char* kRootTmpfsOptions = "mode=0755,size=1m,nr_inodes=4096";

constexpr unsigned long kRemount = MS_BIND | MS_REMOUNT | MS_NOSUID;

// Returns OK when `path` is absolute with no empty, "." or ".." component and not "/".
absl::Status CheckCleanPath(const std::string& path, std::string_view what) {
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("mount: ", std::string(what), " \"", path, "\" ", std::string(why)));
  };
  if (path.empty() || path[0] != '/') return bad("is not absolute");
  if (path == "/") return bad("is the root");
  for (absl::string_view c : absl::StrSplit(path.substr(1), '/')) {
    if (c.empty() || c == "." || c == "..") return bad("is not a clean path");
  }
  return absl::OkStatus();
}

bool IsUnder(const std::string& path, const std::string& dir) {
  return path == dir || absl::StartsWith(path, dir + "/");
}

}  // namespace

absl::StatusOr<MountPlan> MountPlan::Create(const Policy& policy, const ElfDeps& deps) {
  MountPlan plan;
  std::string root = policy.root_dir;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  if (absl::Status s = CheckCleanPath(root, "root_dir"); !s.ok()) return s;
  struct stat st {};
  if (::stat(root.c_str(), &st) < 0)
    return ErrnoStatus(errno, absl::StrCat("mount: root_dir ", root));
  if (!S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("mount: root_dir ", root, " is not a directory"));
  }
  plan.root_ = root;
  plan.proc_ = root + "/proc";

  struct Wanted {
    std::string source;
    std::string target;
    unsigned long flags;
  };
  std::vector<Wanted> wanted;
  std::set<std::string> libs;
  for (const std::string* lib : {&deps.interpreter}) {
    if (!lib->empty()) libs.insert(*lib);
  }
  for (const std::string& lib : deps.libraries) libs.insert(lib);
  // Libraries: read-only, but executable (the loader mmaps them PROT_EXEC).
  for (const std::string& lib : libs) wanted.push_back({lib, lib, kRemount | MS_RDONLY | MS_NODEV});
  // Devices: read-only mounts (writes to a device node are not writes to the mount),
  // device access allowed, nothing executable.
  for (const char* dev : kDevices) wanted.push_back({dev, dev, kRemount | MS_RDONLY | MS_NOEXEC});
  bool bpf = std::find(policy.syscall_groups.begin(), policy.syscall_groups.end(), "bpf") !=
             policy.syscall_groups.end();
  for (const char* file : kBpfFiles) {
    if (bpf && ::stat(file, &st) == 0) {
      wanted.push_back({file, file, kRemount | MS_RDONLY | MS_NOEXEC | MS_NODEV});
    }
  }
  for (const BindMount& b : policy.binds) {
    unsigned long flags = kRemount | MS_NODEV | MS_NOEXEC | (b.writable ? 0 : MS_RDONLY);
    wanted.push_back({b.source, b.target, flags});
  }

  std::set<std::string> dirs;
  for (const Wanted& w : wanted) {
    if (absl::Status s = CheckCleanPath(w.target, "bind target"); !s.ok()) return s;
    if (IsUnder(w.target, "/proc")) {
      return absl::InvalidArgumentError(
          absl::StrCat("mount: bind target ", w.target, " is under /proc"));
    }
    for (const Wanted& other : wanted) {
      if (&other != &w && IsUnder(w.target, other.target)) {
        return absl::InvalidArgumentError(
            absl::StrCat("mount: bind target ", w.target, " is inside bind target ", other.target));
      }
    }
    if (::stat(w.source.c_str(), &st) < 0) {
      return ErrnoStatus(errno, absl::StrCat("mount: bind source ", w.source));
    }
    // Ancestors of the target, parents first, then the mount point itself.
    size_t pos = 0;
    while ((pos = w.target.find('/', pos + 1)) != std::string::npos) {
      std::string dir = root + w.target.substr(0, pos);
      if (dirs.insert(dir).second) plan.dirs_.push_back(dir);
    }
    std::string host_target = root + w.target;
    if (S_ISDIR(st.st_mode)) {
      if (dirs.insert(host_target).second) plan.dirs_.push_back(host_target);
    } else {
      plan.files_.push_back(host_target);
    }
    plan.binds_.push_back(Bind{w.source, w.target, host_target, w.flags});
  }
  if (dirs.insert(plan.proc_).second) plan.dirs_.push_back(plan.proc_);
  return plan;
}

ChildResult MountPlan::ApplyInChild() const {
  // Nothing done below may propagate back to the host's mount namespace.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) {
    return ChildResult::Fail("make mounts private", errno);
  }
  if (::mount("tmpfs", root_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, kRootTmpfsOptions) < 0) {
    return ChildResult::Fail("mount tmpfs root", errno);
  }
  for (const std::string& dir : dirs_) {
    if (::mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST) {
      return ChildResult::Fail("mkdir mount point", errno);
    }
  }
  for (const std::string& file : files_) {
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) return ChildResult::Fail("create mount point", errno);
    ::close(fd);
  }
  for (size_t i = 0; i < binds_.size(); ++i) {
    const Bind& b = binds_[i];
    int index = static_cast<int>(i);
    if (::mount(b.source.c_str(), b.host_target.c_str(), nullptr, MS_BIND, nullptr) < 0) {
      return ChildResult::Fail("bind mount", errno, index);
    }
    // Bind mounts ignore flags on creation; they only take hold in a remount.
    if (::mount(nullptr, b.host_target.c_str(), nullptr, b.flags, nullptr) < 0) {
      return ChildResult::Fail("remount bind", errno, index);
    }
  }
  if (::mount("proc", proc_.c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) < 0) {
    return ChildResult::Fail("mount /proc", errno);
  }
  if (::mount(nullptr, root_.c_str(), nullptr, kRemount | MS_RDONLY | MS_NODEV, nullptr) < 0) {
    return ChildResult::Fail("remount root read-only", errno);
  }
  // pivot_root(".", ".") stacks the old root on top of the new one at "/"; detaching
  // "." then removes the old root without needing a put_old directory.
  if (::chdir(root_.c_str()) < 0) return ChildResult::Fail("chdir new root", errno);
  if (kernel::PivotRoot(".", ".") < 0) return ChildResult::Fail("pivot_root", errno);
  if (::umount2(".", MNT_DETACH) < 0) return ChildResult::Fail("detach old root", errno);
  if (::chdir("/") < 0) return ChildResult::Fail("chdir /", errno);
  return ChildResult::Ok();
}

std::string MountPlan::Describe(int detail) const {
  if (detail < 0 || static_cast<size_t>(detail) >= binds_.size()) return "";
  const Bind& b = binds_[static_cast<size_t>(detail)];
  return absl::StrCat(b.source, " -> ", b.target);
}

std::vector<std::string> MountPlan::Summary() const {
  std::vector<std::string> out{"/ tmpfs (ro)"};
  for (const Bind& b : binds_) {
    out.push_back(absl::StrCat(b.target, (b.flags & MS_RDONLY) ? " (ro)" : " (rw)"));
  }
  out.push_back("/proc proc (rw)");
  return out;
}

}  // namespace paddock::sandbox
