// File system escapes: walking out of the root, reaching the host's files through /proc,
// writing to read-only mounts, executing a dropped binary, setuid files.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <set>
#include <sstream>
#include <vector>

#include "hostile_attempt.h"

namespace hostile {
namespace {

// Opens `path` read-only and closes it at once: never reads or writes through it.
long TryOpen(const std::string& path, int flags = O_RDONLY) {
  int fd = open(path.c_str(), flags | O_CLOEXEC);
  if (fd >= 0) close(fd);
  return fd;
}

// Sorted names in directory `path` ("." and ".." left out), joined with spaces.
std::string ListDir(const char* path) {
  std::set<std::string> names;
  if (DIR* d = opendir(path)) {
    while (dirent* e = readdir(d)) {
      if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) names.insert(e->d_name);
    }
    closedir(d);
  }
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : " ") + n;
  return out;
}

std::string ReadLink(const std::string& path) {
  char buf[512] = {};
  ssize_t n = readlink(path.c_str(), buf, sizeof(buf) - 1);
  return n < 0 ? "<" + ErrnoName(errno) + ">" : std::string(buf, static_cast<size_t>(n));
}

// Walks up with chdir("..") far more often than any real tree is deep, then looks for the
// host's files relative to where it ended up.
AttemptReply ChdirWalk(const AttemptRequest&) {
  struct stat root_before {};
  stat("/", &root_before);
  for (int i = 0; i < 256; ++i) {
    if (chdir("..") != 0) break;
  }
  struct stat here {};
  stat(".", &here);
  std::string cwd = ReadLink("/proc/self/cwd");
  long rc = TryOpen("etc/shadow");
  int err = errno;
  std::string root = ListDir(".");
  chdir("/");
  if (here.st_dev != root_before.st_dev || here.st_ino != root_before.st_ino || rc >= 0) {
    return Escaped("walked out to " + cwd + " holding: " + root);
  }
  return Refused(err, "cwd " + cwd + " after 256 chdir(\"..\"); / holds: " + root);
}

// The classic: chroot into a subdirectory while keeping the cwd outside it, walk up, then
// chroot(".") at the real root. chroot is denied before any of that can matter.
AttemptReply NestedChroot(const AttemptRequest&) {
  mkdir("/run/jail", 0700);
  long rc = syscall(SYS_chroot, "/run/jail");
  int err = errno;
  rmdir("/run/jail");
  if (rc < 0) return Refused(err, "chroot(\"/run/jail\")");
  for (int i = 0; i < 256; ++i) chdir("..");
  syscall(SYS_chroot, ".");
  bool out = TryOpen("/etc/passwd") >= 0;
  chdir("/");
  return Escaped(out ? "chroot trick reached /etc/passwd" : "chroot succeeded");
}

AttemptReply PivotRoot(const AttemptRequest&) {
  return Expect(syscall(SYS_pivot_root, "/run", "/run"), "pivot_root(\"/run\", \"/run\")");
}

// /proc/1 is the plugin itself (pid 1 of its namespace): its root is the sandbox root.
AttemptReply Proc1Root(const AttemptRequest&) {
  std::string link = ReadLink("/proc/1/root");
  long rc = TryOpen("/proc/1/root/etc/shadow");
  int err = errno;
  if (rc >= 0) return Escaped("opened /proc/1/root/etc/shadow");
  long rc2 = TryOpen("/proc/1/root/../../../../etc/passwd");
  if (rc2 >= 0) return Escaped("opened /proc/1/root/../../../../etc/passwd");
  return Refused(err, "/proc/1/root -> " + link + "; /proc/1/root/etc/shadow refused");
}

AttemptReply ProcSelfCwd(const AttemptRequest&) {
  chdir("/run");
  std::string link = ReadLink("/proc/self/cwd");
  long rc = TryOpen("/proc/self/cwd/../../../../etc/passwd");
  int err = errno;
  chdir("/");
  if (rc >= 0) return Escaped("opened /proc/self/cwd/../../../../etc/passwd");
  return Refused(err, "/proc/self/cwd -> " + link);
}

AttemptReply EtcShadow(const AttemptRequest&) {
  return Expect(TryOpen("/etc/shadow"), "open(\"/etc/shadow\")");
}

// The host's config file, by its host path (the test passes it).
AttemptReply HostConfig(const AttemptRequest& req) {
  return Expect(TryOpen(req.path()), "open(\"" + req.path() + "\")");
}

AttemptReply HostProcFile(const AttemptRequest& req, const std::string& file) {
  std::string path = "/proc/" + std::to_string(req.pid()) + "/" + file;
  return Expect(TryOpen(path), "open(\"" + path + "\")");
}

// Metadata writes check the mount's read-only flag before permissions (mnt_want_write),
// so this fails with EROFS even though the file is not ours. The mode it would set is the
// current one: harmless if it ever succeeded.
AttemptReply WriteRoBind(const AttemptRequest&) {
  std::string lib;
  std::istringstream maps(ReadSmallFile("/proc/self/maps"));
  for (std::string line; std::getline(maps, line);) {
    size_t at = line.find('/');
    if (at != std::string::npos && line.find("libc.so") != std::string::npos) {
      lib = line.substr(at);
      break;
    }
  }
  if (lib.empty()) return Escaped("cannot find libc in /proc/self/maps");
  struct stat st {};
  if (stat(lib.c_str(), &st) != 0) return Escaped("cannot stat " + lib);
  long open_rc = TryOpen(lib, O_WRONLY);
  std::string open_err = open_rc < 0 ? ErrnoName(errno) : "succeeded";
  long rc = chmod(lib.c_str(), st.st_mode & 07777);
  if (rc == 0) return Escaped("chmod " + lib + " succeeded");
  return Refused(errno, "chmod " + lib + " (open O_WRONLY: " + open_err + ")");
}

AttemptReply WriteRoRoot(const AttemptRequest&) {
  long rc = mkdir("/escape", 0755);
  if (rc == 0) rmdir("/escape");
  return Expect(rc, "mkdir(\"/escape\")");
}

// /run is writable but noexec: a copy of our own binary, even setuid, does not execute.
AttemptReply ExecDropped(const AttemptRequest&) {
  const char* dropped = "/run/dropped";
  unlink(dropped);
  int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  int out = open(dropped, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
  if (in < 0 || out < 0) {
    int err = errno;
    if (in >= 0) close(in);
    if (out >= 0) close(out);
    return Escaped("could not prepare the copy: " + ErrnoName(err));
  }
  struct stat st {};
  fstat(in, &st);
  off_t off = 0;
  while (off < st.st_size && sendfile(out, in, &off, static_cast<size_t>(st.st_size - off)) > 0) {
  }
  fchmod(out, 04755);
  close(in);
  close(out);
  ChildReport c = InChild([dropped] {
    char arg0[] = "dropped", arg1[] = "--manifest";
    char* argv[] = {arg0, arg1, nullptr};
    char* envp[] = {nullptr};
    return static_cast<long>(execve(dropped, argv, envp));
  });
  unlink(dropped);
  if (!c.reported || c.rc >= 0) return Escaped("the dropped binary ran");
  return Refused(c.err, "execve(\"/run/dropped\") of a copy of this plugin, mode 04755");
}

// Looks for any setuid/setgid file in the whole root, reads no_new_privs, and checks that
// every mount is nosuid: a setuid binary could gain nothing even if one were there.
AttemptReply SetuidBinary(const AttemptRequest&) {
  namespace fs = std::filesystem;
  int files = 0;
  std::vector<std::string> setuid;
  std::error_code ec;
  for (auto it =
           fs::recursive_directory_iterator("/", fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->path() == "/proc") {
      it.disable_recursion_pending();
      continue;
    }
    struct stat st {};
    if (lstat(it->path().c_str(), &st) != 0) continue;
    ++files;
    if (S_ISREG(st.st_mode) && (st.st_mode & (S_ISUID | S_ISGID))) setuid.push_back(it->path());
  }
  std::string nnp = "?";
  std::istringstream status(ReadSmallFile("/proc/self/status"));
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("NoNewPrivs:", 0) == 0) nnp = line.substr(line.find_last_of(" \t") + 1);
  }
  int mounts = 0;
  std::vector<std::string> suid_mounts;
  std::istringstream info(ReadSmallFile("/proc/self/mountinfo"));
  for (std::string line; std::getline(info, line);) {
    std::istringstream f(line);
    std::string id, parent, devno, root, point, opts;
    f >> id >> parent >> devno >> root >> point >> opts;
    ++mounts;
    if (("," + opts + ",").find(",nosuid,") == std::string::npos) suid_mounts.push_back(point);
  }
  std::ostringstream d;
  d << setuid.size() << " setuid/setgid files among " << files << "; NoNewPrivs " << nnp << "; "
    << mounts << " mounts, " << suid_mounts.size() << " without nosuid";
  for (const std::string& p : setuid) d << " [setuid " << p << "]";
  for (const std::string& p : suid_mounts) d << " [suid mount " << p << "]";
  AttemptReply r =
      setuid.empty() && nnp == "1" && suid_mounts.empty() ? Contained(d.str()) : Escaped(d.str());
  r.set_count(static_cast<int>(setuid.size()));
  return r;
}

// Kernel knobs and host-wide files under the fresh /proc are root's; opened, never written.
AttemptReply ProcWrite(const std::string& path) {
  return Expect(TryOpen(path, O_WRONLY), "open(\"" + path + "\", O_WRONLY)");
}

// /sys is not mounted, so no cgroup file of the host can be reached; /proc/self/cgroup
// shows the instance's own cgroup as the root (cgroup namespace).
AttemptReply CgroupEscape(const AttemptRequest&) {
  long rc = TryOpen("/sys/fs/cgroup/pids/cgroup.procs", O_WRONLY);
  int err = errno;
  std::string cg = ReadSmallFile("/proc/self/cgroup");
  for (char& c : cg) c = c == '\n' ? ' ' : c;
  if (rc >= 0) return Escaped("opened the host's cgroup.procs");
  return Refused(err, "/proc/self/cgroup: " + cg);
}

}  // namespace

void AddFileSystemAttempts(Registry& r) {
  r["chdir_walk"] = ChdirWalk;
  r["nested_chroot"] = NestedChroot;
  r["pivot_root"] = PivotRoot;
  r["proc_1_root"] = Proc1Root;
  r["proc_self_cwd"] = ProcSelfCwd;
  r["etc_shadow"] = EtcShadow;
  r["host_config"] = HostConfig;
  r["host_environ"] = [](const AttemptRequest& q) { return HostProcFile(q, "environ"); };
  r["host_mem"] = [](const AttemptRequest& q) { return HostProcFile(q, "mem"); };
  r["host_root"] = [](const AttemptRequest& q) { return HostProcFile(q, "root/etc/shadow"); };
  r["write_ro_bind"] = WriteRoBind;
  r["write_ro_root"] = WriteRoRoot;
  r["exec_dropped"] = ExecDropped;
  r["setuid_binary"] = SetuidBinary;
  r["sysctl_write"] = [](const AttemptRequest&) {
    return ProcWrite("/proc/sys/kernel/core_pattern");
  };
  r["sysrq_trigger"] = [](const AttemptRequest&) { return ProcWrite("/proc/sysrq-trigger"); };
  r["kcore"] = [](const AttemptRequest&) {
    return Expect(TryOpen("/proc/kcore"), "open(\"/proc/kcore\")");
  };
  r["cgroup_escape"] = CgroupEscape;
}

}  // namespace hostile
