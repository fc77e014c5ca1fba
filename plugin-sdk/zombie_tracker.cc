// Grace-period bookkeeping for zombie children (see zombie_tracker.h).
#include "plugin-sdk/zombie_tracker.h"

#include <algorithm>

namespace paddock::sdk {

std::vector<pid_t> ZombieTracker::Due(int64_t now_ns, const std::vector<pid_t>& zombies) {
  std::map<pid_t, int64_t> next;
  std::vector<pid_t> due;
  for (pid_t pid : zombies) {
    auto it = first_seen_ns_.find(pid);
    int64_t seen = it == first_seen_ns_.end() ? now_ns : it->second;
    if (now_ns - seen >= grace_ns_) {
      due.push_back(pid);
    } else {
      next.emplace(pid, seen);
    }
  }
  first_seen_ns_ = std::move(next);
  std::sort(due.begin(), due.end());
  due.erase(std::unique(due.begin(), due.end()), due.end());
  return due;
}

int64_t ZombieTracker::NextDueIn(int64_t now_ns) const {
  if (first_seen_ns_.empty()) return -1;
  int64_t earliest = first_seen_ns_.begin()->second;
  for (const auto& [pid, seen] : first_seen_ns_) earliest = std::min(earliest, seen);
  return std::max<int64_t>(0, earliest + grace_ns_ - now_ns);
}

}  // namespace paddock::sdk
