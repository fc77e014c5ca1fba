// A plugin that exits with status 3 before it ever serves: the host must back off, then
// park it as failed with the exit reason.
#include <unistd.h>

#include "paddock/plugin.h"

class Crasher final : public paddock::Plugin {
 public:
  absl::Status Init(paddock::Context&) override {
    paddock::log::Error("crasher: exiting on purpose");
    _exit(3);
  }
};

PADDOCK_PLUGIN(Crasher)
