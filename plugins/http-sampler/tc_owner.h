// Which TC filters belong to which live instance, so that nothing is left behind and a
// reload has no gap.
//
// Generations of the plugin overlap during a reload (N+1 attaches while N still runs),
// and a killed instance cannot clean up after itself. Each instance therefore holds one of
// kSlots owner slots in its data dir: an exclusive flock on "tc-slot-<n>.lock" (released
// by the kernel when the process dies) plus a record "tc-slot-<n>.filters" listing the
// filters it attached (interface, hook, priority, handle, program id). On Acquire, the
// records of slots nobody holds are stale: those filters are removed (only if they still
// run the recorded program). Filters get kernel-chosen priorities and handles, so two
// owners (two generations, or two hosts on one machine) never collide, and each removes
// only its own.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "paddock/fd.h"
#include "tc_filter.h"

namespace paddock::http_sampler {

// The loaded programs' descriptors (BpfProgram's), by where they are attached.
struct TcPrograms {
  int ingress_fd = -1;   // ingress of a real interface: requests
  int egress_fd = -1;    // egress of a real interface: responses
  int loopback_fd = -1;  // ingress of a loopback interface: both
};

class TcOwner {
 public:
  static constexpr int kSlots = 4;

  // Takes a free slot in `state_dir` (which must exist and be writable) and removes every
  // stale filter recorded there. FailedPrecondition when all slots are held.
  static absl::StatusOr<std::unique_ptr<TcOwner>> Acquire(const std::string& state_dir);
  // Detaches every filter (errors are logged) and releases the slot.
  ~TcOwner();
  TcOwner(const TcOwner&) = delete;
  TcOwner& operator=(const TcOwner&) = delete;

  // Makes the attached interfaces exactly `names`: new ones are attached before removed
  // ones are detached. A loopback interface gets one filter, programs.loopback_fd on its
  // ingress (it sees both directions there); any other gets ingress_fd on ingress and
  // egress_fd on egress. On failure nothing changes (filters added by this call are
  // removed again). Not thread-safe.
  absl::Status SetInterfaces(const std::vector<std::string>& names, const TcPrograms& programs);
  // Detaches every filter of this owner. Returns the first error.
  absl::Status DetachAll();

  // Attached interface names, sorted.
  std::vector<std::string> interfaces() const;
  // Every filter of this owner.
  std::vector<TcFilter> filters() const;
  int slot() const { return slot_; }

 private:
  TcOwner() = default;
  absl::Status WriteRecord() const;
  std::string RecordPath(int slot) const;

  std::string dir_;
  int slot_ = -1;
  UniqueFd lock_;
  std::map<std::string, std::vector<TcFilter>> attached_;  // name -> its filters.
};

// Removes the filters listed in the record at `path` (stale owner) and the record.
// Returns how many filters were removed.
absl::StatusOr<int> RemoveRecordedFilters(const std::string& path);

}  // namespace paddock::http_sampler
