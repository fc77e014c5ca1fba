// Signed plugins under the real paddockd: `paddockctl keygen` / `sign` make the key and the
// signatures; a host with policy require runs only binaries signed by a key it trusts and
// lists the others as invalid with the reason; under warn they run and the host says why
// they should not; a replacement with a bad signature never displaces the serving
// generation.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "integration/harness.h"

using paddock::testing::BuildPath;
using paddock::testing::CmdResult;
using paddock::testing::Host;
using paddock::testing::Run;
using paddock::testing::TempDir;
using paddock::testing::TestPlugin;
using paddock::testing::WaitFor;
namespace fs = std::filesystem;
namespace v1 = paddock::v1;

namespace {

CmdResult Paddockctl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {BuildPath("bin/paddockctl")};
  argv.insert(argv.end(), args.begin(), args.end());
  return Run(argv);
}

// A fresh key pair in `dir`: dir/name.key and dir/name.pub.
std::string Keygen(const std::string& dir, const std::string& name) {
  const std::string prefix = dir + "/" + name;
  CmdResult r = Paddockctl({"keygen", prefix});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find(prefix + ".key") != std::string::npos);
  return prefix;
}

void Sign(const std::string& key_prefix, const std::string& binary) {
  CmdResult r = Paddockctl({"sign", "--key", key_prefix + ".key", binary});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
}

std::string Config(const std::string& policy, const std::string& key_prefix) {
  return std::string(paddock::testing::kEchoGrant) + R"(, "signatures": {"policy": ")" + policy +
         R"(", "trusted_keys": [")" + key_prefix + R"(.pub"]})" +
         R"(, "reload": {"soak_ms": 100, "ready_deadline_ms": 5000})";
}

bool WaitForError(Host& host, const std::string& name, const std::string& needle) {
  return WaitFor([&] { return host.Status(name).error().find(needle) != std::string::npos; }, 20);
}

}  // namespace

TEST_CASE("require runs signed plugins and refuses unsigned, tampered and untrusted ones",
          "[signatures]") {
  TempDir keys;  // Outlives the host below.
  const std::string key = Keygen(keys.path(), "trusted");
  const std::string stranger = Keygen(keys.path(), "stranger");
  Host host(Config("REQUIRE", key));
  const std::string dir = host.plugin_dir();
  host.AddPlugin(TestPlugin("echo-v1"), "echo");
  Sign(key, dir + "/echo");
  host.AddPlugin(TestPlugin("noisy"), "noisy");  // Unsigned.
  host.AddPlugin(TestPlugin("crasher"), "crasher");
  Sign(key, dir + "/crasher");
  std::ofstream(dir + "/crasher", std::ios::app) << '\0';  // One byte more after signing.
  host.AddPlugin(TestPlugin("never-healthy"), "never-healthy");
  Sign(stranger, dir + "/never-healthy");
  REQUIRE(host.Start());

  REQUIRE(host.WaitForState("echo", v1::STATE_SERVING, 30));
  CmdResult call = host.Ctl({"call", "echo", "Echo", R"({"text": "signed"})"});
  CHECK(call.exit_code == 0);
  CHECK(call.out.find("signed") != std::string::npos);

  v1::PluginInfo noisy = host.Status("noisy");
  CHECK(noisy.state() == v1::STATE_INVALID);
  CHECK(noisy.error() == "signature required: not signed (no " + dir +
                             "/noisy.sig; sign it with `paddockctl sign --key KEY " + dir +
                             "/noisy`)");
  v1::PluginInfo crasher = host.Status("crasher");
  CHECK(crasher.state() == v1::STATE_INVALID);
  CHECK(crasher.error().find("signed bytes differ") != std::string::npos);
  v1::PluginInfo never = host.Status("never-healthy");
  CHECK(never.state() == v1::STATE_INVALID);
  CHECK(never.error().find("which this host does not trust") != std::string::npos);
  // `paddockctl status` prints the reason too.
  CmdResult status = host.Ctl({"status", "noisy"});
  CHECK(status.out.find("not signed") != std::string::npos);

  // Signing the refused plugin admits it at once (the .sig event triggers a rescan).
  Sign(key, dir + "/noisy");
  CHECK(host.WaitForState("noisy", v1::STATE_SERVING, 30));
}

TEST_CASE("warn runs an unsigned plugin and logs why it should not", "[signatures]") {
  TempDir keys;
  const std::string key = Keygen(keys.path(), "trusted");
  Host host(Config("WARN", key));
  host.AddPlugin(TestPlugin("echo-v1"), "echo");
  REQUIRE(host.Start());
  REQUIRE(host.WaitForState("echo", v1::STATE_SERVING, 30));
  CHECK(host.Log().find("signature check failed (policy warn): not signed") != std::string::npos);
}

TEST_CASE("a replacement with a bad signature leaves the old generation serving", "[signatures]") {
  TempDir keys;
  const std::string key = Keygen(keys.path(), "trusted");
  Host host(Config("REQUIRE", key));
  const std::string bin = host.plugin_dir() + "/echo";
  host.AddPlugin(TestPlugin("echo-v1"), "echo");
  Sign(key, bin);
  const std::string v1_sig = bin + ".v1sig";
  fs::copy_file(bin + ".sig", v1_sig);
  REQUIRE(host.Start());
  REQUIRE(host.WaitForState("echo", v1::STATE_SERVING, 30));
  const uint64_t generation = host.Status("echo").generation();

  // v2 arrives, but its .sig is still v1's: the reload is refused with the reason.
  fs::copy_file(TestPlugin("echo-v2"), bin + ".new");
  fs::rename(bin + ".new", bin);
  CmdResult reload = host.Ctl({"reload", "echo"});
  CHECK(reload.exit_code != 0);
  CHECK((reload.out + reload.err).find("signed bytes differ") != std::string::npos);
  // A full reload round refuses it too, and status says so.
  host.Ctl({"reload"});
  CHECK(WaitForError(host, "echo", "keeps serving"));
  v1::PluginInfo info = host.Status("echo");
  CHECK(info.state() == v1::STATE_SERVING);
  CHECK(info.generation() == generation);
  CHECK(info.version() == "1.0.0");
  CmdResult call = host.Ctl({"call", "echo", "Echo", R"({"text": "still"})"});
  CHECK(call.exit_code == 0);
  CHECK(call.out.find("1.0.0") != std::string::npos);

  // Signed properly, the same binary reloads.
  Sign(key, bin);
  CmdResult ok = host.Ctl({"reload", "echo"});
  INFO(ok.out << ok.err);
  CHECK(ok.exit_code == 0);
  CHECK(WaitFor([&] { return host.Status("echo").version() == "2.0.0"; }, 20));
  CHECK(host.Status("echo").error().empty());
}
