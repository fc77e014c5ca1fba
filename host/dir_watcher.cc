#include "host/dir_watcher.h"

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>

#include "paddock/errno_status.h"

namespace paddock::host {
namespace {

constexpr uint32_t kMask = IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
                           IN_ATTRIB | IN_MODIFY | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

}  // namespace

absl::StatusOr<std::unique_ptr<DirWatcher>> DirWatcher::Create(EventLoop* loop, Callback cb) {
  UniqueFd fd(inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!fd) return ErrnoStatus(errno, "inotify_init1");
  std::unique_ptr<DirWatcher> w(new DirWatcher(loop, std::move(fd), std::move(cb)));
  DirWatcher* raw = w.get();
  auto st = loop->Watch(raw->fd_.get(), EPOLLIN, [raw](uint32_t) { raw->OnReadable(); });
  if (!st.ok()) return st;
  return w;
}

DirWatcher::~DirWatcher() { loop_->Unwatch(fd_.get()); }

absl::Status DirWatcher::Add(const std::string& dir) {
  int wd = inotify_add_watch(fd_.get(), dir.c_str(), kMask);
  if (wd < 0) return ErrnoStatus(errno, "inotify_add_watch " + dir);
  dirs_[wd] = dir;
  return absl::OkStatus();
}

void DirWatcher::Clear() {
  for (const auto& [wd, dir] : dirs_) inotify_rm_watch(fd_.get(), wd);
  dirs_.clear();
}

void DirWatcher::OnReadable() {
  alignas(inotify_event) char buf[64 * 1024];
  for (;;) {
    ssize_t n = read(fd_.get(), buf, sizeof(buf));
    if (n <= 0) return;  // EAGAIN: drained.
    for (char* p = buf; p < buf + n;) {
      auto* ev = reinterpret_cast<inotify_event*>(p);
      p += sizeof(inotify_event) + ev->len;
      if (ev->mask & IN_Q_OVERFLOW) {
        for (const auto& [wd, dir] : dirs_) cb_(dir, "", ev->mask);
        continue;
      }
      auto it = dirs_.find(ev->wd);
      if (it == dirs_.end()) continue;
      std::string dir = it->second;
      if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
        if (ev->mask & IN_IGNORED) dirs_.erase(it);
        cb_(dir, "", ev->mask);
        continue;
      }
      cb_(dir, ev->len > 0 ? std::string(ev->name) : std::string(), ev->mask);
    }
  }
}

}  // namespace paddock::host
