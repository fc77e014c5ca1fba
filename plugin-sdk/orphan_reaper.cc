// Zombie reaping for pid 1 (see orphan_reaper.h).
#include "plugin-sdk/orphan_reaper.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/str_cat.h"
#include "paddock/errno_status.h"
#include "paddock/log.h"
#include "plugin-sdk/proc_children.h"

namespace paddock::sdk {
namespace {

int64_t MonotonicNs() {
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// True if any child of this process (of any of its threads) is a zombie now. Does not reap.
bool HasZombieChild() {
  siginfo_t info{};
  if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) < 0) return false;  // ECHILD.
  return info.si_pid != 0;
}

}  // namespace

absl::StatusOr<std::unique_ptr<OrphanReaper>> OrphanReaper::Start(Options options) {
  UniqueFd stop(::eventfd(0, EFD_CLOEXEC));
  if (!stop) return ErrnoStatus(errno, "eventfd for the orphan reaper");
  std::unique_ptr<OrphanReaper> r(new OrphanReaper(std::move(options), std::move(stop)));
  r->thread_ = std::thread([p = r.get()] { p->Run(); });
  return r;
}

OrphanReaper::OrphanReaper(Options options, UniqueFd stop_fd)
    : options_(std::move(options)),
      self_(::getpid()),
      stop_fd_(std::move(stop_fd)),
      tracker_(absl::ToInt64Nanoseconds(options_.grace)) {}

OrphanReaper::~OrphanReaper() {
  const uint64_t one = 1;
  while (::write(stop_fd_.get(), &one, sizeof(one)) < 0 && errno == EINTR) {
  }
  if (thread_.joinable()) thread_.join();
}

void OrphanReaper::Run() {
  const int64_t interval_ms = std::max<int64_t>(1, absl::ToInt64Milliseconds(options_.interval));
  for (;;) {
    int64_t wait_ms = interval_ms;
    int64_t due_in = tracker_.NextDueIn(MonotonicNs());
    if (due_in >= 0) wait_ms = std::min(wait_ms, due_in / 1'000'000 + 1);
    pollfd p{.fd = stop_fd_.get(), .events = POLLIN, .revents = 0};
    int n = ::poll(&p, 1, static_cast<int>(wait_ms));
    if (n > 0) return;
    if (n < 0 && errno != EINTR) {
      log::Error("orphan reaper stopped", {{"error", ErrnoStatus(errno, "poll").ToString()}});
      return;
    }
    if (!Scan()) return;
  }
}

bool OrphanReaper::Scan() {
  const int64_t now = MonotonicNs();
  if (!HasZombieChild()) {
    tracker_.Due(now, {});
    return true;
  }
  absl::StatusOr<std::vector<pid_t>> zombies = ZombieChildren(options_.proc_root, self_);
  if (!zombies.ok()) {
    log::Error("orphan reaper stopped: cannot list zombie children",
               {{"error", zombies.status().ToString()}});
    return false;
  }
  for (pid_t pid : tracker_.Due(now, *zombies)) {
    int status = 0;
    // The plugin may have reaped it since the listing: then ECHILD, nothing to do.
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      uint64_t total = reaped_.fetch_add(1, std::memory_order_relaxed) + 1;
      log::Debug("reaped a zombie child nobody waited for",
                 {{"pid", absl::StrCat(pid)}, {"reaped_total", absl::StrCat(total)}});
    }
  }
  return true;
}

}  // namespace paddock::sdk
