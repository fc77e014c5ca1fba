// Confinement is granted by the host, not taken by the plugin: a plugin whose manifest asks
// for a capability the host config does not grant is refused before it runs (no process,
// no generation, the reason in status), and granting it in the host config is what lets
// it run with exactly that capability.
#include <catch2/catch.hpp>

#include "integration/harness.h"
#include "integration/hostile_util.h"

using paddock::testing::BundledPlugin;
using paddock::testing::CmdResult;
using paddock::testing::Host;
using paddock::testing::TestPlugin;
using paddock::testing::WaitFor;
namespace v1 = paddock::v1;

TEST_CASE("a capability the host does not grant refuses the plugin before it starts",
          "[hostile][grant]") {
  Host host;
  host.AddPlugin(BundledPlugin("hello"), "hello");
  host.AddPlugin(TestPlugin("hostile-caps"), "hostile-caps");
  REQUIRE(host.Start());
  REQUIRE(host.WaitForState("hello", v1::STATE_SERVING, 15));
  REQUIRE(host.WaitForState("hostile-caps", v1::STATE_FAILED, 5));
  v1::PluginInfo info = host.Status("hostile-caps");
  INFO(info.error());
  CHECK(info.error().find("CAP_SYS_ADMIN") != std::string::npos);
  CHECK(info.error().find("does not grant") != std::string::npos);
  CHECK(info.error().find("plugins.\"hostile-caps\".grant.capabilities") != std::string::npos);
  // It never ran: no process, no generation, not a single log line.
  CHECK(info.pid() == 0);
  CHECK(info.generation() == 0);
  CHECK(info.restarts() == 0);
  CmdResult logs = host.Ctl({"logs", "hostile-caps"});
  CHECK(logs.out.find("is running") == std::string::npos);
  CHECK(host.Log().find("hostile-caps g1") == std::string::npos);
  CmdResult human = host.Ctl({"status", "hostile-caps"});
  CHECK(human.out.find("CAP_SYS_ADMIN") != std::string::npos);
  // Starting it by hand does not get around the refusal.
  host.Ctl({"start", "hostile-caps"});
  CHECK(host.Status("hostile-caps").generation() == 0);
  CHECK(host.Log().find("is running") == std::string::npos);
  CHECK(host.Ctl({"call", "hello", "Greet", "{}"}).exit_code == 0);
  CHECK(paddock::testing::StopHost(host));
}

TEST_CASE("granting the capability in the host config lets the plugin run with exactly it",
          "[hostile][grant]") {
  Host host(
      "\"plugins\": {\"hostile-caps\": {\"grant\": {\"capabilities\": [\"CAP_SYS_ADMIN\"]}}}");
  host.AddPlugin(TestPlugin("hostile-caps"), "hostile-caps");
  REQUIRE(host.Start());
  REQUIRE(host.WaitForState("hostile-caps", v1::STATE_SERVING, 15));
  v1::PluginInfo info = host.Status("hostile-caps");
  REQUIRE(info.confinement().capabilities_size() == 1);
  CHECK(info.confinement().capabilities(0) == "CAP_SYS_ADMIN");
  CHECK(info.generation() == 1);
  CHECK(WaitFor(
      [&] {
        return host.Ctl({"logs", "hostile-caps"}).out.find("is running") != std::string::npos;
      },
      5));
  CHECK(paddock::testing::StopHost(host));
}
