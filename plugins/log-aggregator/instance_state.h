// Per-instance liveness and crash accounting in the data dir.
//
// Every instance (generation or restart) has "instances/inst-<id>.state": a 4 KiB file,
// flock()ed for the instance's lifetime (a held lock means alive: the kernel drops it when
// the process dies, kill -9 included) and mapped shared, holding how many lines the
// instance has received. The receiver stores that count after every batch: a plain store
// into a shared file mapping lands in the page cache, which outlives the process. On start,
// an instance claims the files of dead instances and compares each one's count with the
// last sequence number that reached its segments: the difference is what the crash lost.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "paddock/fd.h"

namespace paddock::logagg {

class InstanceState {
 public:
  // Creates and locks the state file of `instance` in `dir` (created as a temp name, locked,
  // then renamed, so no one sees it unlocked).
  static absl::StatusOr<InstanceState> Create(const std::string& dir, uint64_t instance);
  InstanceState() = default;
  InstanceState(InstanceState&& o) noexcept;
  InstanceState& operator=(InstanceState&& o) noexcept;
  ~InstanceState();

  // Records that lines up to `sequence` have been received. Any thread; cheap.
  void SetReceived(uint64_t sequence) {
    if (received_ != nullptr) received_->store(sequence, std::memory_order_release);
  }
  // Removes the file (clean shutdown: nothing was lost), then releases the lock.
  void Remove();

 private:
  std::string path_;
  UniqueFd fd_;
  void* map_ = nullptr;
  std::atomic<uint64_t>* received_ = nullptr;
};

// A dead instance's state, claimed (locked) by this process.
struct DeadInstance {
  uint64_t instance = 0;
  uint64_t received = 0;  // Lines it had received.
  std::string path;
  UniqueFd lock;  // Held until the file is removed.
};

// Lists the instances in `dir`: the live ones' ids (locked by someone else) and the dead
// ones, claimed. Ignores `self` and files that are not state files.
absl::Status ScanInstances(const std::string& dir, uint64_t self, std::vector<uint64_t>* live,
                           std::vector<DeadInstance>* dead);

// Removes a claimed dead instance's file.
void RemoveDead(DeadInstance& d);

}  // namespace paddock::logagg
