// Task definitions on disk: <data dir>/tasks.json (a TaskFile in proto3 JSON), replaced
// atomically (write a temp file, fsync, rename, fsync the directory). Two generations of the
// plugin run side by side during a hot reload, so every change is a read-modify-write under
// an exclusive flock on <data dir>/tasks.lock, and the file, not memory, is the truth.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "paddock/fd.h"
#include "scheduler.pb.h"

namespace paddock::scheduler {

// Thread-safe.
class TaskStore {
 public:
  // A store in `dir` (which must exist), or an in-memory one when `dir` is "" (the manifest
  // asked for no data dir: tasks then die with the instance).
  static absl::StatusOr<std::unique_ptr<TaskStore>> Open(const std::string& dir);

  // The stored tasks (an empty list when there is no file yet). DataLoss names the file and
  // the parse error for a corrupt file.
  absl::StatusOr<paddock::scheduler::v1::TaskFile> Load();

  // Loads, applies `change`, and writes the result, all under the lock. When `change` fails
  // nothing is written and its status is returned. Returns the file as written.
  absl::StatusOr<paddock::scheduler::v1::TaskFile> Mutate(
      const std::function<absl::Status(paddock::scheduler::v1::TaskFile&)>& change);

  const std::string& path() const { return path_; }

 private:
  TaskStore(std::string dir, UniqueFd lock);
  absl::StatusOr<paddock::scheduler::v1::TaskFile> LoadLocked();
  absl::Status WriteLocked(const paddock::scheduler::v1::TaskFile& file);

  const std::string dir_, path_;
  std::mutex mu_;  // Serializes this process's users; the flock serializes processes.
  UniqueFd lock_;  // tasks.lock; invalid for an in-memory store.
  paddock::scheduler::v1::TaskFile memory_;  // In-memory store only. Guarded by mu_.
};

// An exclusive flock on <dir>/leader.lock: the generation holding it runs the timers.
class LeaderLock {
 public:
  // Tries once without blocking. nullopt-like: an invalid fd when another process holds it.
  static absl::StatusOr<UniqueFd> TryAcquire(const std::string& dir);
};

}  // namespace paddock::scheduler
