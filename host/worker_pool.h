// A fixed pool of threads for blocking work the event loop must not do itself (health
// probes and lifecycle RPCs to plugins). Results go back to the loop with EventLoop::Post.
#pragma once

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace paddock::host {

class WorkerPool {
 public:
  // Starts `threads` workers.
  explicit WorkerPool(int threads);
  // Runs every queued task, then joins the workers.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `fn` to run on some worker. Thread-safe.
  void Run(std::function<void()> fn);

 private:
  void Loop();

  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace paddock::host
