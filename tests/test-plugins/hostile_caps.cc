// A plugin whose manifest asks for CAP_SYS_ADMIN. No host grants it, so it must be refused
// before it ever runs: if it does run, it says so loudly (the test looks for the line).
#include "paddock/plugin.h"

class HostileCaps final : public paddock::Plugin {
 public:
  absl::Status Init(paddock::Context&) override {
    paddock::log::Error("hostile-caps is running: the host started a plugin it should refuse");
    return absl::OkStatus();
  }
};

PADDOCK_PLUGIN(HostileCaps)
