// inotify on the event loop: tells its owner which names in which watched directories
// changed. Watching directories (not files) is what makes editors' rename-over writes and
// Kubernetes ConfigMap symlink swaps visible.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "host/event_loop.h"
#include "paddock/fd.h"

namespace paddock::host {

class DirWatcher {
 public:
  // Called on the loop thread with the directory, the name that changed and the inotify
  // event mask (IN_CLOSE_WRITE and IN_MOVED_TO mean the name now holds complete content).
  // An empty name means "the kernel dropped events (queue overflow) or the directory itself
  // moved: rescan everything".
  using Callback =
      std::function<void(const std::string& dir, const std::string& name, uint32_t mask)>;

  static absl::StatusOr<std::unique_ptr<DirWatcher>> Create(EventLoop* loop, Callback cb);
  ~DirWatcher();

  // Watches `dir` for entries created, written, moved in or out, deleted, or changed in
  // attributes. Watching the same directory twice is harmless.
  absl::Status Add(const std::string& dir);
  // Stops watching every directory.
  void Clear();

 private:
  DirWatcher(EventLoop* loop, UniqueFd fd, Callback cb)
      : loop_(loop), fd_(std::move(fd)), cb_(std::move(cb)) {}
  void OnReadable();

  EventLoop* loop_;
  UniqueFd fd_;
  Callback cb_;
  std::map<int, std::string> dirs_;  // Watch descriptor -> directory.
};

}  // namespace paddock::host
