#include "host/event_loop.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>

#include "paddock/errno_status.h"

namespace paddock::host {

absl::StatusOr<std::unique_ptr<EventLoop>> EventLoop::Create() {
  UniqueFd ep(epoll_create1(EPOLL_CLOEXEC));
  if (!ep) return ErrnoStatus(errno, "epoll_create1");
  UniqueFd wake(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake) return ErrnoStatus(errno, "eventfd");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = static_cast<uint32_t>(wake.get());  // serial 0
  if (epoll_ctl(ep.get(), EPOLL_CTL_ADD, wake.get(), &ev) != 0) {
    return ErrnoStatus(errno, "epoll_ctl(eventfd)");
  }
  return std::unique_ptr<EventLoop>(new EventLoop(std::move(ep), std::move(wake)));
}

EventLoop::EventLoop(UniqueFd epoll, UniqueFd wake)
    : epoll_(std::move(epoll)), wake_(std::move(wake)) {}

EventLoop::~EventLoop() = default;

absl::Status EventLoop::Watch(int fd, uint32_t events, FdCallback cb) {
  uint32_t serial = next_serial_++;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = (static_cast<uint64_t>(serial) << 32) | static_cast<uint32_t>(fd);
  int op = watchers_.count(fd) ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
  if (epoll_ctl(epoll_.get(), op, fd, &ev) != 0) return ErrnoStatus(errno, "epoll_ctl");
  watchers_[fd] = Watcher{serial, std::make_shared<FdCallback>(std::move(cb))};
  return absl::OkStatus();
}

void EventLoop::Unwatch(int fd) {
  if (watchers_.erase(fd) > 0) epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

EventLoop::TimerId EventLoop::RunAfter(absl::Duration delay, std::function<void()> fn) {
  TimerId id = next_timer_++;
  absl::Time when = Now() + delay;
  timers_.emplace(std::make_pair(when, id), std::move(fn));
  timer_deadlines_[id] = when;
  return id;
}

void EventLoop::Cancel(TimerId id) {
  auto it = timer_deadlines_.find(id);
  if (it == timer_deadlines_.end()) return;
  timers_.erase({it->second, id});
  timer_deadlines_.erase(it);
}

void EventLoop::Post(std::function<void()> fn) {
  {
    absl::MutexLock lock(&mu_);
    posted_.push_back(std::move(fn));
  }
  uint64_t one = 1;
  (void)!write(wake_.get(), &one, sizeof(one));
}

void EventLoop::Quit() {
  {
    absl::MutexLock lock(&mu_);
    quit_ = true;
  }
  uint64_t one = 1;
  (void)!write(wake_.get(), &one, sizeof(one));
}

void EventLoop::DrainPosted() {
  uint64_t n;
  while (read(wake_.get(), &n, sizeof(n)) > 0) {
  }
  std::vector<std::function<void()>> batch;
  {
    absl::MutexLock lock(&mu_);
    batch.swap(posted_);
  }
  for (auto& fn : batch) fn();
}

int EventLoop::NextTimeoutMs() {
  if (timers_.empty()) return -1;
  absl::Duration left = timers_.begin()->first.first - Now();
  if (left <= absl::ZeroDuration()) return 0;
  // Round up so a timer never fires early.
  return static_cast<int>(
      absl::ToInt64Milliseconds(left + absl::Milliseconds(1) - absl::Nanoseconds(1)));
}

void EventLoop::FireTimers() {
  absl::Time now = Now();
  while (!timers_.empty() && timers_.begin()->first.first <= now) {
    auto node = timers_.extract(timers_.begin());
    timer_deadlines_.erase(node.key().second);
    node.mapped()();
  }
}

void EventLoop::ServePostedUntil(const std::function<bool()>& done) {
  while (!done()) {
    pollfd p{wake_.get(), POLLIN, 0};
    poll(&p, 1, 50);  // EINTR or a timeout: just check `done` again.
    DrainPosted();
  }
}

void EventLoop::Run() {
  constexpr int kMaxEvents = 64;
  epoll_event events[kMaxEvents];
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      if (quit_) {
        quit_ = false;
        return;
      }
    }
    int n = epoll_wait(epoll_.get(), events, kMaxEvents, NextTimeoutMs());
    if (n < 0 && errno != EINTR) return;
    for (int i = 0; i < n; ++i) {
      int fd = static_cast<int>(events[i].data.u64 & 0xffffffffu);
      uint32_t serial = static_cast<uint32_t>(events[i].data.u64 >> 32);
      if (serial == 0 && fd == wake_.get()) {
        DrainPosted();
        continue;
      }
      auto it = watchers_.find(fd);
      if (it == watchers_.end() || it->second.serial != serial) continue;
      // Keep the callback alive even if it unwatches itself.
      std::shared_ptr<FdCallback> cb = it->second.cb;
      (*cb)(events[i].events);
    }
    FireTimers();
  }
}

}  // namespace paddock::host
