#include "sandbox/seccomp.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "paddock/errno_status.h"
#include "sandbox/kernel.h"
#include "sandbox/seccomp_policy.h"

namespace paddock::sandbox {
namespace {

struct CtxDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};
using ScopedCtx = std::unique_ptr<void, CtxDeleter>;

absl::Status RuleError(int rc, const SyscallRule& rule, std::string_view what) {
  return absl::InternalError(absl::StrCat("seccomp: ", std::string(what), " rule for ", rule.name,
                                          ": ", std::strerror(-rc)));
}

// Adds `rule` with `action`: one libseccomp rule per allowed value (or mask bit).
absl::Status AddRule(scmp_filter_ctx ctx, uint32_t action, const SyscallRule& rule,
                     std::string_view what) {
  int nr = seccomp_syscall_resolve_name(rule.name);
  if (nr == __NR_SCMP_ERROR) {
    return absl::InternalError(absl::StrCat("seccomp: unknown syscall \"", rule.name, "\""));
  }
  auto add = [&](unsigned count, const scmp_arg_cmp* cmp) -> absl::Status {
    int rc = seccomp_rule_add_exact_array(ctx, action, nr, count, cmp);
    if (rc < 0) return RuleError(rc, rule, what);
    return absl::OkStatus();
  };
  if (!rule.check) return add(0, nullptr);
  const ArgCheck& c = *rule.check;
  switch (c.kind) {
    case ArgCheck::kEqualsAny:
      for (uint64_t v : c.values) {
        scmp_arg_cmp cmp{c.arg, SCMP_CMP_EQ, v, 0};
        if (absl::Status s = add(1, &cmp); !s.ok()) return s;
      }
      return absl::OkStatus();
    case ArgCheck::kLow32Any:
      for (uint64_t v : c.values) {
        scmp_arg_cmp cmp{c.arg, SCMP_CMP_MASKED_EQ, 0xffffffffULL, v & 0xffffffffULL};
        if (absl::Status s = add(1, &cmp); !s.ok()) return s;
      }
      return absl::OkStatus();
    case ArgCheck::kMaskedZero: {
      scmp_arg_cmp cmp{c.arg, SCMP_CMP_MASKED_EQ, c.mask, 0};
      return add(1, &cmp);
    }
    case ArgCheck::kMaskedAnyBit:
      for (int bit = 0; bit < 64; ++bit) {
        uint64_t b = uint64_t{1} << bit;
        if ((c.mask & b) == 0) continue;
        scmp_arg_cmp cmp{c.arg, SCMP_CMP_MASKED_EQ, b, b};
        if (absl::Status s = add(1, &cmp); !s.ok()) return s;
      }
      return absl::OkStatus();
  }
  return absl::InternalError("seccomp: bad ArgCheck kind");
}

}  // namespace

absl::StatusOr<SeccompPlan> SeccompPlan::Create(const std::vector<std::string>& groups) {
  absl::StatusOr<std::vector<const SyscallGroup*>> selected = SelectGroups(groups);
  if (!selected.ok()) return selected.status();

  ScopedCtx ctx(seccomp_init(SCMP_ACT_ERRNO(ENOSYS)));
  if (!ctx) return absl::InternalError("seccomp: seccomp_init failed");
  // Other architectures (int 0x80 i386 calls) and x32 calls kill the whole process:
  // no legitimate x86_64 plugin makes them.
  if (seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) < 0 ||
      seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0) < 0) {
    return absl::InternalError("seccomp: cannot set filter attributes");
  }

  SeccompPlan plan;
  std::set<std::string> granted;  // Syscalls allowed without conditions.
  for (const SyscallGroup* g : *selected) {
    plan.group_names_.push_back(g->name);
    for (const SyscallRule& rule : g->rules) {
      if (absl::Status s = AddRule(ctx.get(), SCMP_ACT_ALLOW, rule, "allow"); !s.ok()) return s;
      if (!rule.check) granted.insert(rule.name);
    }
  }
  for (const SyscallRule& rule : DeniedSyscalls()) {
    if (granted.count(rule.name) != 0) continue;  // A granted group lifts the denial.
    if (absl::Status s = AddRule(ctx.get(), SCMP_ACT_NOTIFY, rule, "deny"); !s.ok()) return s;
  }

  UniqueFd mem(::memfd_create("seccomp-bpf", MFD_CLOEXEC));
  if (!mem) return ErrnoStatus(errno, "seccomp: memfd_create");
  if (int rc = seccomp_export_bpf(ctx.get(), mem.get()); rc < 0) {
    return absl::InternalError(absl::StrCat("seccomp: export: ", std::strerror(-rc)));
  }
  off_t size = ::lseek(mem.get(), 0, SEEK_END);
  if (size <= 0 || size % static_cast<off_t>(sizeof(sock_filter)) != 0) {
    return absl::InternalError("seccomp: exported program has a bad size");
  }
  plan.program_.resize(static_cast<size_t>(size) / sizeof(sock_filter));
  if (size_t(size) > BPF_MAXINSNS * sizeof(sock_filter)) {
    return absl::InternalError("seccomp: program exceeds BPF_MAXINSNS");
  }
  if (::pread(mem.get(), plan.program_.data(), static_cast<size_t>(size), 0) != size) {
    return ErrnoStatus(errno, "seccomp: read exported program");
  }
  return plan;
}

ChildResult SeccompPlan::LoadInChild(int socket_fd) const {
  struct sock_fprog prog {};
  prog.len = static_cast<unsigned short>(program_.size());
  prog.filter = const_cast<sock_filter*>(program_.data());
  int listener = kernel::Seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
  if (listener < 0) return ChildResult::Fail("seccomp load", errno);

  char byte = 'L';
  struct iovec iov {
    &byte, 1
  };
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cmsg), &listener, sizeof(int));
  ssize_t sent;
  do {
    sent = ::sendmsg(socket_fd, &msg, MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  int err = errno;
  ::close(listener);
  if (sent != 1) return ChildResult::Fail("send seccomp listener", sent < 0 ? err : EPIPE);
  return ChildResult::Ok();
}

absl::StatusOr<UniqueFd> ReceiveSeccompListener(int socket_fd) {
  char byte = 0;
  struct iovec iov {
    &byte, 1
  };
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n;
  do {
    n = ::recvmsg(socket_fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return ErrnoStatus(errno, "launch: receive seccomp listener");
  struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  if (n != 1 || cmsg == nullptr || cmsg->cmsg_level != SOL_SOCKET ||
      cmsg->cmsg_type != SCM_RIGHTS || cmsg->cmsg_len != CMSG_LEN(sizeof(int))) {
    return absl::InternalError("launch: malformed seccomp listener message");
  }
  int fd;
  std::memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
  return UniqueFd(fd);
}

absl::StatusOr<std::unique_ptr<ViolationMonitor>> ViolationMonitor::Create(UniqueFd listener) {
  if (!listener) return absl::InvalidArgumentError("seccomp: no listener");
  struct seccomp_notif_sizes sizes {};
  if (kernel::Seccomp(SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0) {
    return ErrnoStatus(errno, "seccomp: SECCOMP_GET_NOTIF_SIZES");
  }
  size_t notif = std::max<size_t>(sizes.seccomp_notif, sizeof(struct seccomp_notif));
  size_t resp = std::max<size_t>(sizes.seccomp_notif_resp, sizeof(struct seccomp_notif_resp));
  return std::unique_ptr<ViolationMonitor>(new ViolationMonitor(std::move(listener), notif, resp));
}

ViolationMonitor::ViolationMonitor(UniqueFd listener, size_t notif_size, size_t resp_size)
    : listener_(std::move(listener)),
      notif_buf_((notif_size + 7) / 8),
      resp_buf_((resp_size + 7) / 8) {}

absl::StatusOr<Violation> ViolationMonitor::HandleOne() {
  // The kernel insists on a zeroed buffer.
  std::fill(notif_buf_.begin(), notif_buf_.end(), 0);
  auto* req = reinterpret_cast<struct seccomp_notif*>(notif_buf_.data());
  int rc;
  do {
    rc = ::ioctl(listener_.get(), SECCOMP_IOCTL_NOTIF_RECV, req);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0 && errno == ENOENT) return absl::NotFoundError("seccomp: notifying thread died");
  if (rc < 0) return ErrnoStatus(errno, "seccomp: SECCOMP_IOCTL_NOTIF_RECV");

  Violation v;
  v.pid = static_cast<pid_t>(req->pid);
  v.nr = req->data.nr;
  for (int i = 0; i < 6; ++i) v.args[static_cast<size_t>(i)] = req->data.args[i];
  v.syscall = SyscallName(v.nr);

  std::fill(resp_buf_.begin(), resp_buf_.end(), 0);
  auto* resp = reinterpret_cast<struct seccomp_notif_resp*>(resp_buf_.data());
  resp->id = req->id;
  resp->val = 0;
  resp->error = -EPERM;
  resp->flags = 0;
  do {
    rc = ::ioctl(listener_.get(), SECCOMP_IOCTL_NOTIF_SEND, resp);
  } while (rc < 0 && errno == EINTR);
  // ENOENT: the thread died (or was interrupted by a signal) meanwhile; the attempt still
  // counts as a violation.
  if (rc < 0 && errno != ENOENT) return ErrnoStatus(errno, "seccomp: SECCOMP_IOCTL_NOTIF_SEND");
  return v;
}

std::string SyscallName(int nr) {
  char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);
  if (name == nullptr) return absl::StrCat("syscall_", nr);
  std::string out(name);
  ::free(name);
  return out;
}

}  // namespace paddock::sandbox
