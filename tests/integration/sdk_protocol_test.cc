// SDK protocol versioning: the host runs plugins whose declared protocol is within the
// range it supports (>=1.0.0 <2.0.0) and lists older and newer ones as invalid, saying
// which version the plugin speaks and which range the host supports.
#include <catch2/catch.hpp>
#include <string>

#include "integration/harness.h"

using paddock::testing::Host;
using paddock::testing::TestPlugin;
namespace v1 = paddock::v1;

TEST_CASE("plugins speaking an older or newer SDK protocol are refused with the reason",
          "[sdk_protocol]") {
  Host host;
  host.AddPlugin(TestPlugin("protocol-old"), "protocol-old");
  host.AddPlugin(TestPlugin("protocol-new"), "protocol-new");
  host.AddPlugin(TestPlugin("protocol-minor"), "protocol-minor");
  REQUIRE(host.Start());
  REQUIRE(host.WaitForState("protocol-minor", v1::STATE_SERVING, 30));

  for (const auto& [name, version] :
       {std::pair<std::string, std::string>{"protocol-old", "0.9.0"}, {"protocol-new", "2.0.0"}}) {
    v1::PluginInfo info = host.Status(name);
    INFO(name << ": " << info.error());
    CHECK(info.state() == v1::STATE_INVALID);
    CHECK(info.error().find("sdk_protocol: plugin speaks SDK protocol " + version +
                            ", this host supports >=1.0.0 <2.0.0") != std::string::npos);
  }
  // The refusal shows in `paddockctl list` too.
  bool listed = false;
  const v1::ListResponse list = host.List();
  for (const v1::PluginInfo& p : list.plugins()) {
    listed |= p.name() == "protocol-new" && p.state() == v1::STATE_INVALID &&
              p.error().find("plugin speaks SDK protocol 2.0.0") != std::string::npos;
  }
  CHECK(listed);
}
