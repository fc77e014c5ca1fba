// Supervisor::Snapshot: what a metrics scrape needs from the loop, taken in one short task.
#include <future>
#include <memory>

#include "host/supervisor.h"
#include "host/supervisor_slot.h"

namespace paddock::host {

absl::StatusOr<std::vector<PluginSnapshot>> Supervisor::Snapshot(absl::Duration timeout,
                                                                 size_t* invalid_files) {
  struct Result {
    std::vector<PluginSnapshot> plugins;
    size_t invalid = 0;
  };
  // Shared with the posted task: if the wait times out, the task may still run later and
  // must find its promise alive.
  auto p = std::make_shared<std::promise<Result>>();
  auto f = p->get_future();
  deps_.loop->Post([this, p] {
    Result r;
    r.plugins.reserve(slots_.size());
    for (auto& [name, slot] : slots_) {
      PluginSnapshot& s = r.plugins.emplace_back();
      s.info = Info(*slot, true);
      const Instance* inst = slot->active.get();
      if (inst != nullptr && inst->phase == InstancePhase::kServing) s.client = inst->client;
    }
    r.invalid = invalid_.size();
    p->set_value(std::move(r));
  });
  if (f.wait_for(absl::ToChronoNanoseconds(timeout)) != std::future_status::ready) {
    return absl::DeadlineExceededError("the host's event loop did not answer in time");
  }
  Result r = f.get();
  if (invalid_files != nullptr) *invalid_files = r.invalid;
  return std::move(r.plugins);
}

}  // namespace paddock::host
