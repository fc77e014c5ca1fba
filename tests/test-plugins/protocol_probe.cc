// A plugin that only serves health and the lifecycle: built several times with different
// declared SDK protocol versions (paddock_add_plugin SDK_PROTOCOL) to test the host's
// version check (tests/integration/sdk_protocol_test.cc).
#include "paddock/plugin.h"

class ProtocolProbe final : public paddock::Plugin {
 public:
  absl::Status Init(paddock::Context&) override { return absl::OkStatus(); }
};

PADDOCK_PLUGIN(ProtocolProbe)
