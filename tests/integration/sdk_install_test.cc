// The installed SDK builds a plugin out of tree: `cmake --install --component sdk` into a
// temp prefix, the plugin template (examples/plugin-template) configured and built against
// it with find_package(PaddockSDK), the result signed with a fresh key, dropped into a
// host that requires signatures, and called with `paddockctl call`.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "integration/harness.h"

using paddock::testing::BuildPath;
using paddock::testing::CmdResult;
using paddock::testing::Host;
using paddock::testing::Run;
using paddock::testing::TempDir;
namespace fs = std::filesystem;
namespace v1 = paddock::v1;

namespace {

// cmake and ninja are found on PATH, as a plugin author's shell finds them (Run does no
// PATH lookup of its own).
constexpr char kCmake[] = "/usr/bin/env";

CmdResult MustRun(const std::vector<std::string>& argv, double timeout_s) {
  CmdResult r = Run(argv, "", timeout_s);
  INFO(argv[1] << " " << (argv.size() > 2 ? argv[2] : "") << "\n" << r.out << r.err);
  REQUIRE(r.exit_code == 0);
  return r;
}

}  // namespace

TEST_CASE("the plugin template builds against the installed SDK and answers a call",
          "[sdk_install]") {
  TempDir tmp;  // The prefix, the out-of-tree build and the key.
  const std::string work = tmp.path();
  const std::string prefix = work + "/prefix";
  const std::string build = work + "/template-build";

  MustRun({kCmake, "cmake", "--install", BuildPath(""), "--component", "sdk", "--prefix", prefix},
          120);
  CHECK(fs::exists(prefix + "/lib/cmake/PaddockSDK/PaddockSDKConfig.cmake"));
  CHECK(fs::exists(prefix + "/lib/cmake/PaddockSDK/PaddockSDKConfigVersion.cmake"));
  CHECK(fs::exists(prefix + "/include/paddock-sdk/paddock/plugin.h"));
  CHECK(fs::exists(prefix + "/share/paddock-sdk/proto/paddock/v1/manifest.proto"));

  // Only the installed SDK is visible to the template: the source tree is not on any path.
  std::vector<std::string> configure = {
      kCmake, "cmake", "-S", std::string(PADDOCK_SOURCE_DIR) + "/examples/plugin-template", "-B",
      build, "-G", "Ninja", "-DCMAKE_PREFIX_PATH=" + prefix,
      // The SDK's own compiler (a plugin author builds with the toolchain the SDK came from).
      std::string("-DCMAKE_C_COMPILER=") + PADDOCK_C_COMPILER,
      std::string("-DCMAKE_CXX_COMPILER=") + PADDOCK_CXX_COMPILER};
  if (std::string_view(PADDOCK_SANITIZE_FLAGS) != "") {  // A sanitizer build's SDK.
    configure.push_back(std::string("-DCMAKE_CXX_FLAGS=") + PADDOCK_SANITIZE_FLAGS);
    configure.push_back(std::string("-DCMAKE_EXE_LINKER_FLAGS=") + PADDOCK_SANITIZE_FLAGS);
  }
  MustRun(configure, 120);
  MustRun({kCmake, "cmake", "--build", build, "--parallel", "2"}, 600);
  const std::string binary = build + "/greeter";
  REQUIRE(fs::exists(binary));
  CmdResult manifest = MustRun({binary, "--manifest"}, 30);
  CHECK(manifest.out.find("\"greeter.v1.Greeter\"") != std::string::npos);

  const std::string key = work + "/signer";
  MustRun({BuildPath("bin/paddockctl"), "keygen", key}, 30);
  Host host(R"("signatures": {"policy": "REQUIRE", "trusted_keys": [")" + key +
            R"(.pub"]}, "plugins": {"greeter": {"config": {"greeting": "Howdy"}}})");
  host.AddPlugin(binary, "greeter");
  MustRun(
      {BuildPath("bin/paddockctl"), "sign", "--key", key + ".key", host.plugin_dir() + "/greeter"},
      30);
  REQUIRE(host.Start());
  REQUIRE(host.WaitForState("greeter", v1::STATE_SERVING, 30));
  CmdResult call = host.Ctl({"call", "greeter", "Greet", R"({"name": "Ada"})"});
  INFO(call.err);
  CHECK(call.exit_code == 0);
  CHECK(call.out.find("Howdy, Ada!") != std::string::npos);
}
