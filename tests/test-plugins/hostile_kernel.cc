// Kernel attack surface the seccomp policy refuses (EPERM through a user notification,
// reported by the host by name), the architecture tricks it kills for, and what it leaves
// unknown (ENOSYS). Arguments are invalid or inert where possible, so that even an
// unconfined root process would get a harmless answer.
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/io_uring.h>
#include <linux/kexec.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstring>

#include "hostile_attempt.h"

namespace hostile {
namespace {

// Closes a descriptor an attempt should never have got.
AttemptReply ExpectFd(long fd, const std::string& what) {
  int err = errno;
  if (fd >= 0) close(static_cast<int>(fd));
  errno = err;
  return Expect(fd, what);
}

AttemptReply Bpf(const AttemptRequest&) {
  union bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;  // No instructions: EINVAL if it got through.
  return ExpectFd(syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr)), "bpf(BPF_PROG_LOAD)");
}

AttemptReply PerfEventOpen(const AttemptRequest&) {
  struct perf_event_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.size = sizeof(attr);
  attr.type = PERF_TYPE_SOFTWARE;
  attr.config = PERF_COUNT_SW_CPU_CLOCK;
  attr.disabled = 1;
  return ExpectFd(syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0), "perf_event_open");
}

AttemptReply Userfaultfd(const AttemptRequest&) {
  return ExpectFd(syscall(SYS_userfaultfd, O_CLOEXEC), "userfaultfd");
}

AttemptReply IoUringSetup(const AttemptRequest&) {
  struct io_uring_params params;
  std::memset(&params, 0, sizeof(params));
  return ExpectFd(syscall(SYS_io_uring_setup, 1, &params), "io_uring_setup");
}

AttemptReply Keyctl(const AttemptRequest&) {
  return Expect(syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0),
                "keyctl(KEYCTL_GET_KEYRING_ID)");
}

AttemptReply InitModule(const AttemptRequest&) {
  // An empty image: EINVAL/ENOEXEC even where modules may be loaded.
  return Expect(syscall(SYS_init_module, nullptr, 0, ""), "init_module");
}

AttemptReply KexecLoad(const AttemptRequest&) {
  // A foreign architecture in the flags: EINVAL even for root on the host.
  return Expect(syscall(SYS_kexec_load, 0, 0, nullptr, KEXEC_ARCH_ARM), "kexec_load");
}

AttemptReply Personality(const AttemptRequest&) {
  long rc = syscall(SYS_personality, READ_IMPLIES_EXEC);
  if (rc >= 0) syscall(SYS_personality, rc);  // Put the old one back.
  return Expect(rc, "personality(READ_IMPLIES_EXEC)");
}

// x32 calls (the __X32_SYSCALL_BIT) kill the process that makes them: a child here.
AttemptReply X32(const AttemptRequest&) {
  ChildReport c = InChild([] { return syscall(__X32_SYSCALL_BIT | SYS_getpid); });
  if (c.sig != 0) return Signaled(c.sig, "x32 getpid");
  return Escaped("x32 getpid returned " + std::to_string(c.rc) + " (" + ErrnoName(c.err) + ")");
}

// TIOCSTI pushes input into a terminal. fd 0 is /dev/null (ENOTTY if the filter let it
// through); the filter refuses it whatever the fd.
AttemptReply Tiocsti(const AttemptRequest&, bool high_bits) {
  char c = 'x';
  unsigned long request = TIOCSTI;
  if (high_bits) request |= 1ul << 32;  // The kernel truncates the request to 32 bits.
  return Expect(syscall(SYS_ioctl, 0, request, &c),
                high_bits ? "ioctl(TIOCSTI | 1<<32)" : "ioctl(TIOCSTI)");
}

AttemptReply UnknownSyscall(const AttemptRequest&) {
  return Expect(syscall(1000, 0, 0, 0), "syscall 1000");
}

AttemptReply Mknod(const AttemptRequest&) {
  long rc = syscall(SYS_mknodat, AT_FDCWD, "/run/sda", S_IFBLK | 0600, makedev(8, 0));
  int err = errno;
  if (rc == 0) unlink("/run/sda");
  errno = err;
  return Expect(rc, "mknod(\"/run/sda\", block 8:0)");
}

AttemptReply OpenByHandle(const AttemptRequest&) {
  alignas(8) char buf[sizeof(unsigned) + sizeof(int) + 8] = {};
  return ExpectFd(syscall(SYS_open_by_handle_at, AT_FDCWD, buf, O_RDONLY), "open_by_handle_at");
}

AttemptReply Syslog(const AttemptRequest&) {
  char buf[256];
  return Expect(syscall(SYS_syslog, 3 /* SYSLOG_ACTION_READ_ALL */, buf, sizeof(buf)),
                "syslog(READ_ALL)");
}

AttemptReply Reboot(const AttemptRequest&) {
  // Wrong magic numbers: EINVAL for anyone the filter let through.
  return Expect(syscall(SYS_reboot, 0, 0, 0, nullptr), "reboot(bad magic)");
}

AttemptReply SetuidRoot(const AttemptRequest&) {
  return Expect(syscall(SYS_setuid, 0), "setuid(0)");
}

AttemptReply CapsetAdmin(const AttemptRequest&) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  data[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective = CAP_TO_MASK(CAP_SYS_ADMIN);
  data[CAP_TO_INDEX(CAP_SYS_ADMIN)].permitted = CAP_TO_MASK(CAP_SYS_ADMIN);
  return Expect(syscall(SYS_capset, &header, data), "capset(CAP_SYS_ADMIN)");
}

}  // namespace

void AddKernelAttempts(Registry& r) {
  r["bpf"] = Bpf;
  r["perf_event_open"] = PerfEventOpen;
  r["userfaultfd"] = Userfaultfd;
  r["io_uring_setup"] = IoUringSetup;
  r["keyctl"] = Keyctl;
  r["init_module"] = InitModule;
  r["kexec_load"] = KexecLoad;
  r["personality"] = Personality;
  r["x32_syscall"] = X32;
  r["tiocsti"] = [](const AttemptRequest& q) { return Tiocsti(q, false); };
  r["tiocsti_high_bits"] = [](const AttemptRequest& q) { return Tiocsti(q, true); };
  r["unknown_syscall"] = UnknownSyscall;
  r["mknod"] = Mknod;
  r["open_by_handle_at"] = OpenByHandle;
  r["syslog"] = Syslog;
  r["reboot"] = Reboot;
  r["setuid_root"] = SetuidRoot;
  r["capset"] = CapsetAdmin;
}

}  // namespace hostile
