// A plugin whose Init never returns, so it never reports ready: the host must kill it at
// the start deadline and say so.
#include <chrono>
#include <thread>

#include "paddock/plugin.h"

class NeverHealthy final : public paddock::Plugin {
 public:
  absl::Status Init(paddock::Context&) override {
    for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
  }
};

PADDOCK_PLUGIN(NeverHealthy)
