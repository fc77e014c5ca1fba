// Mount and namespace escapes: the old and new mount APIs, remounting the root writable,
// a user namespace to regain capabilities, and joining another process's namespaces.
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "hostile_attempt.h"

namespace hostile {
namespace {

AttemptReply Mount(const AttemptRequest&) {
  long rc = mount("tmpfs", "/run", "tmpfs", 0, "size=1m");
  int err = errno;
  if (rc == 0) umount2("/run", MNT_DETACH);
  errno = err;
  return Expect(rc, "mount(tmpfs on /run)");
}

AttemptReply Umount(const AttemptRequest&) {
  return Expect(umount2("/proc", MNT_DETACH), "umount2(\"/proc\", MNT_DETACH)");
}

AttemptReply RemountRw(const AttemptRequest&) {
  return Expect(mount(nullptr, "/", nullptr, MS_REMOUNT | MS_BIND, nullptr),
                "mount(MS_REMOUNT | MS_BIND, \"/\") without MS_RDONLY");
}

AttemptReply OpenTree(const AttemptRequest&) {
  long fd = syscall(SYS_open_tree, AT_FDCWD, "/proc", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  int err = errno;
  if (fd >= 0) close(static_cast<int>(fd));
  errno = err;
  return Expect(fd, "open_tree(\"/proc\", OPEN_TREE_CLONE)");
}

AttemptReply MoveMount(const AttemptRequest&) {
  return Expect(syscall(SYS_move_mount, AT_FDCWD, "/proc", AT_FDCWD, "/run", 0),
                "move_mount(\"/proc\" -> \"/run\")");
}

AttemptReply Fsopen(const AttemptRequest&) {
  long fd = syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
  int err = errno;
  if (fd >= 0) close(static_cast<int>(fd));
  errno = err;
  return Expect(fd, "fsopen(\"tmpfs\")");
}

AttemptReply Fspick(const AttemptRequest&) {
  long fd = syscall(SYS_fspick, AT_FDCWD, "/", FSPICK_CLOEXEC);
  int err = errno;
  if (fd >= 0) close(static_cast<int>(fd));
  errno = err;
  return Expect(fd, "fspick(\"/\")");
}

AttemptReply MountSetattr(const AttemptRequest&) {
  struct mount_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.attr_clr = MOUNT_ATTR_RDONLY;
  return Expect(syscall(SYS_mount_setattr, AT_FDCWD, "/", 0, &attr, sizeof(attr)),
                "mount_setattr(\"/\", clear MOUNT_ATTR_RDONLY)");
}

// A user namespace would hand back a full capability set inside it; then mount. Tried
// three ways: unshare, clone with the flag (raw, fork-like) and clone3 (which glibc only
// uses when it exists: the filter answers ENOSYS so libc falls back to clone).
AttemptReply UnshareUserThenMount(const AttemptRequest&) {
  long rc = unshare(CLONE_NEWUSER | CLONE_NEWNS);
  int err = errno;
  long mrc = mount("tmpfs", "/run", "tmpfs", 0, "size=1m");
  std::string mount_err = mrc < 0 ? ErrnoName(errno) : "succeeded";
  if (mrc == 0) umount2("/run", MNT_DETACH);
  long crc = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
  if (crc == 0) syscall(SYS_exit, 0);  // The child (if the filter ever let one through).
  std::string clone_err = crc < 0 ? ErrnoName(errno) : "succeeded";
  if (crc > 0) waitpid(static_cast<pid_t>(crc), nullptr, 0);
  std::string detail = "unshare(CLONE_NEWUSER|CLONE_NEWNS); then mount: " + mount_err +
                       "; clone(CLONE_NEWUSER): " + clone_err;
  if (rc == 0 || mrc == 0 || crc >= 0) return Escaped(detail);
  return Refused(err, detail);
}

// The plugin can open its own namespace files, but setns is refused; the host's are not
// even visible (a different pid namespace).
AttemptReply Setns(const AttemptRequest& req) {
  std::string host_ns = "/proc/" + std::to_string(req.pid()) + "/ns/mnt";
  int host_fd = open(host_ns.c_str(), O_RDONLY | O_CLOEXEC);
  std::string host_err = host_fd < 0 ? ErrnoName(errno) : "opened";
  if (host_fd >= 0) close(host_fd);
  int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Refused(errno, "open(\"/proc/self/ns/net\")");
  long rc = setns(fd, 0);
  int err = errno;
  close(fd);
  std::string detail = "setns(own net ns); open(\"" + host_ns + "\"): " + host_err;
  if (rc == 0 || host_fd >= 0) return Escaped(detail);
  return Refused(err, detail);
}

}  // namespace

void AddMountAttempts(Registry& r) {
  r["mount"] = Mount;
  r["umount2"] = Umount;
  r["remount_rw"] = RemountRw;
  r["open_tree"] = OpenTree;
  r["move_mount"] = MoveMount;
  r["fsopen"] = Fsopen;
  r["fspick"] = Fspick;
  r["mount_setattr"] = MountSetattr;
  r["unshare_user_mount"] = UnshareUserThenMount;
  r["setns"] = Setns;
}

}  // namespace hostile
