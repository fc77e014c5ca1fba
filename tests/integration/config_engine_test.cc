// The config engine: the host config file is watched; a valid change reaches the plugin as
// a new snapshot, an invalid one is rejected with the reason and nothing changes, and both
// an editor's rename-over and a Kubernetes-style symlink swap are seen.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "integration/harness.h"

using paddock::testing::CmdResult;
using paddock::testing::Host;
using paddock::testing::TestPlugin;
using paddock::testing::WaitFor;
namespace fs = std::filesystem;
namespace v1 = paddock::v1;

namespace {

std::string EchoSection(const std::string& config_json, const std::string& extra = "") {
  return std::string(R"("plugins": {"echo": {"grant": {"sockets": true, "data_dir": true},)") +
         R"( "config": )" + config_json + "}}" + extra;
}

// The config snapshot in force inside the plugin, as its Config method reports it.
std::string PluginConfig(Host& host) {
  CmdResult r = host.Ctl({"call", "echo", "Config", "{}"});
  return r.exit_code == 0 ? r.out : "<" + r.err + ">";
}

}  // namespace

TEST_CASE("a valid change reaches the plugin; invalid ones change nothing", "[config]") {
  Host host(EchoSection(R"({"color": "red"})"));
  host.AddPlugin(TestPlugin("echo-v1"), "echo");
  REQUIRE(host.Start());
  REQUIRE(host.WaitForState("echo", v1::STATE_SERVING, 10));
  CHECK(PluginConfig(host).find("red") != std::string::npos);

  Host::WriteAtomically(host.config_path(), host.ConfigJson(EchoSection(R"({"color": "blue"})")));
  REQUIRE(WaitFor([&] { return PluginConfig(host).find("blue") != std::string::npos; }, 5));
  CmdResult shown = host.Ctl({"--json", "config", "show"});
  CHECK(shown.out.find(R"("version":"2")") != std::string::npos);
  CHECK(host.Status("echo").config_version() == 2);

  struct Bad {
    std::string content;
    std::string reason;
  };
  for (const Bad& bad : {
           Bad{"{ not json", "line"},
           Bad{host.ConfigJson(EchoSection("{}", R"(, "colour": 1)")), "colour"},
           Bad{host.ConfigJson(EchoSection("{}", R"(, "restart": {"jitter": 7})")), "jitter"},
           // Taking away a grant the running plugin uses.
           Bad{host.ConfigJson(R"("plugins": {"echo": {"grant": {"data_dir": true}}})"), "sockets"},
       }) {
    INFO(bad.content);
    Host::WriteAtomically(host.config_path(), bad.content);
    REQUIRE(WaitFor(
        [&] {
          return host.Ctl({"config", "show"}).out.find(bad.reason) != std::string::npos;
        },
        5));
    CmdResult show = host.Ctl({"--json", "config", "show"});
    CHECK(show.out.find(R"("version":"2")") != std::string::npos);
    CHECK(PluginConfig(host).find("blue") != std::string::npos);
    CHECK(host.Status("echo").state() == v1::STATE_SERVING);
  }
  CHECK(host.Log().find("config change rejected") != std::string::npos);
}

TEST_CASE("a Kubernetes-style symlink swap of the config is seen", "[config]") {
  Host host;
  // ConfigMap layout: config.json -> ..data/config.json, ..data -> ..2026_1 (a directory).
  std::string mount = host.dir() + "/configmap";
  fs::create_directories(mount + "/..2026_1");
  std::ofstream(mount + "/..2026_1/config.json") << host.ConfigJson(EchoSection(R"({"n": 1})"));
  fs::create_directory_symlink("..2026_1", mount + "/..data");
  fs::create_symlink("..data/config.json", mount + "/config.json");
  host.set_config_path(mount + "/config.json");
  host.AddPlugin(TestPlugin("echo-v1"), "echo");
  REQUIRE(host.Start());
  REQUIRE(host.WaitForState("echo", v1::STATE_SERVING, 10));
  CHECK(PluginConfig(host).find(R"(\"n\":1)") != std::string::npos);

  // The kubelet writes a new timestamped directory, then renames a new ..data link over.
  fs::create_directories(mount + "/..2026_2");
  std::ofstream(mount + "/..2026_2/config.json") << host.ConfigJson(EchoSection(R"({"n": 2})"));
  fs::create_directory_symlink("..2026_2", mount + "/..data_tmp");
  fs::rename(mount + "/..data_tmp", mount + "/..data");
  fs::remove_all(mount + "/..2026_1");
  REQUIRE(WaitFor([&] { return PluginConfig(host).find(R"(\"n\":2)") != std::string::npos; }, 5));
}
