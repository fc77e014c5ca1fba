#include "sandbox/caps.h"

#include <errno.h>
#include <linux/capability.h>
#include <sys/prctl.h>

#include <fstream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "sandbox/kernel.h"

namespace paddock::sandbox {
namespace {

// Index = capability number (linux/capability.h, up to Linux 6.x).
constexpr const char* kNames[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};
constexpr int kNamed = static_cast<int>(sizeof(kNames) / sizeof(kNames[0]));

}  // namespace

absl::StatusOr<int> CapabilityFromName(std::string_view name) {
  std::string upper = absl::AsciiStrToUpper(std::string(name));
  if (!absl::StartsWith(upper, "CAP_")) upper = "CAP_" + upper;
  for (int i = 0; i < kNamed; ++i) {
    if (upper == kNames[i]) return i;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("caps: unknown capability \"", std::string(name), "\""));
}

std::string CapabilityName(int cap) {
  if (cap >= 0 && cap < kNamed) return kNames[cap];
  return absl::StrCat("CAP_", cap);
}

absl::StatusOr<int> LastCapability() {
  std::ifstream in("/proc/sys/kernel/cap_last_cap");
  int last = -1;
  if (!(in >> last) || last < 0 || last > 63) {
    return absl::FailedPreconditionError("caps: cannot read /proc/sys/kernel/cap_last_cap");
  }
  return last;
}

absl::StatusOr<CapPlan> CapPlan::Create(const std::vector<int>& keep) {
  absl::StatusOr<int> last = LastCapability();
  if (!last.ok()) return last.status();
  CapPlan plan;
  plan.last_cap_ = *last;
  for (int cap : keep) {
    if (cap < 0 || cap > *last) {
      return absl::InvalidArgumentError(absl::StrCat(
          "caps: capability ", cap, " is unknown to this kernel (last is ", *last, ")"));
    }
    plan.mask_ |= uint64_t{1} << cap;
  }
  return plan;
}

ChildResult CapPlan::DropBoundingSetInChild() const {
  for (int cap = 0; cap <= last_cap_; ++cap) {
    if ((mask_ >> cap) & 1) continue;
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
      return ChildResult::Fail("drop bounding capability", errno, cap);
    }
  }
  return ChildResult::Ok();
}

ChildResult CapPlan::ApplyInChild() const {
  __user_cap_header_struct header{};
  header.version = _LINUX_CAPABILITY_VERSION_3;
  header.pid = 0;
  __user_cap_data_struct data[2] = {};
  for (int i = 0; i < 2; ++i) {
    uint32_t word = static_cast<uint32_t>(mask_ >> (32 * i));
    data[i].effective = word;
    data[i].permitted = word;
    data[i].inheritable = word;
  }
  if (kernel::Capset(&header, data) < 0) return ChildResult::Fail("capset", errno);
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) {
    return ChildResult::Fail("clear ambient capabilities", errno);
  }
  for (int cap = 0; cap <= last_cap_; ++cap) {
    if (((mask_ >> cap) & 1) && ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0) {
      return ChildResult::Fail("raise ambient capability", errno, cap);
    }
  }
  return ChildResult::Ok();
}

}  // namespace paddock::sandbox
