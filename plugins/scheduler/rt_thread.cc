#include "rt_thread.h"

#include <linux/capability.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "paddock/errno_status.h"

#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif

namespace paddock::scheduler {
namespace {

constexpr size_t kStackPrefaultBytes = 64 * 1024;

// Touches the next kStackPrefaultBytes of stack below the caller's frame. noinline so the
// array really lives in a frame of its own.
__attribute__((noinline)) void PrefaultStack() {
  volatile char buf[kStackPrefaultBytes];
  for (size_t i = 0; i < sizeof(buf); i += 4096) buf[i] = 0;
}

std::string FifoRefusal(int err) {
  if (err == ENOSYS) {
    return "SCHED_FIFO refused: sched_setscheduler is not in the sandbox's seccomp policy "
           "(grant the \"realtime\" syscall group)";
  }
  if (err == EPERM) {
    if (!HasEffectiveCapability(CAP_SYS_NICE)) {
      return "SCHED_FIFO refused: the host did not grant CAP_SYS_NICE; running SCHED_OTHER";
    }
    return "SCHED_FIFO refused although CAP_SYS_NICE is held: the plugin's cpu cgroup has no "
           "real-time budget (cpu.rt_runtime_us = 0); running SCHED_OTHER";
  }
  return absl::StrCat("SCHED_FIFO refused: ", strerror(err), "; running SCHED_OTHER");
}

}  // namespace

bool HasEffectiveCapability(int cap) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &header, data) != 0) return false;
  return (data[cap / 32].effective & (1u << (cap % 32))) != 0;
}

absl::StatusOr<ThreadApplied> ApplyToCurrentThread(const ThreadRequest& req) {
  ThreadApplied out;
  out.tid = static_cast<int>(gettid());
  out.name = req.name.substr(0, 15);
  pthread_setname_np(pthread_self(), out.name.c_str());
  if (req.cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(*req.cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0) {
      return ErrnoStatus(errno, absl::StrCat("pin timer thread to CPU ", *req.cpu));
    }
    out.cpu = *req.cpu;
  }
  out.policy = "SCHED_OTHER";
  if (req.fifo) {
    sched_param param{};
    param.sched_priority = req.priority;
    if (sched_setscheduler(0, SCHED_FIFO, &param) == 0) {
      out.policy = "SCHED_FIFO";
      out.priority = req.priority;
    } else {
      out.note = FifoRefusal(errno);
    }
  }
  // 1 ns: sleeps end when asked, not up to 50 us later (real-time threads ignore slack).
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  PrefaultStack();
  return out;
}

std::string LockProcessMemory() {
  if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) == 0) return "";
  const int err = errno;
  if (err == ENOSYS) {
    return "mlockall is not in the sandbox's seccomp policy (grant the \"realtime\" syscall group)";
  }
  if (err == EPERM || err == ENOMEM) {
    return absl::StrCat("mlockall: ", strerror(err),
                        HasEffectiveCapability(CAP_IPC_LOCK)
                            ? ""
                            : " (the host did not grant CAP_IPC_LOCK and RLIMIT_MEMLOCK is too "
                              "small)");
  }
  return absl::StrCat("mlockall: ", strerror(err));
}

void UnlockProcessMemory() { munlockall(); }

}  // namespace paddock::scheduler
