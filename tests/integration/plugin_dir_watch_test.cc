// The watched plugin directory: new files start, removed ones stop, replaced ones wait for
// the signal (on-signal mode) or reload by themselves (auto mode), and files that are
// half-written, temporary or still changing are never launched.
#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "integration/harness.h"

using paddock::testing::BundledPlugin;
using paddock::testing::Host;
using paddock::testing::ProcessAlive;
using paddock::testing::TestPlugin;
using paddock::testing::WaitFor;
namespace fs = std::filesystem;
namespace v1 = paddock::v1;

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

bool Listed(Host& host, const std::string& name) {
  v1::ListResponse list = host.List();
  for (const auto& p : list.plugins()) {
    if (p.name() == name) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("new files start, removed files stop, temp files are ignored", "[watch]") {
  Host host(R"("reload": {"settle_ms": 100})");
  REQUIRE(host.Start());
  host.AddPlugin(BundledPlugin("hello"), ".hello.swp");  // an editor's temp file
  host.AddPlugin(BundledPlugin("hello"), "hello~");
  host.AddPlugin(BundledPlugin("hello"), "hello");
  REQUIRE(host.WaitForState("hello", v1::STATE_SERVING, 10));
  CHECK(host.List().plugins_size() == 1);
  pid_t pid = host.Status("hello").pid();
  fs::remove(host.plugin_dir() + "/hello");
  REQUIRE(WaitFor([&] { return !Listed(host, "hello"); }, 10));
  CHECK(WaitFor([&] { return !ProcessAlive(pid); }, 5));
}

TEST_CASE("a half-written binary is not launched until it is complete", "[watch]") {
  Host host(R"("reload": {"settle_ms": 200})");
  REQUIRE(host.Start());
  std::string bytes = ReadFile(BundledPlugin("hello"));
  std::string path = host.plugin_dir() + "/hello";
  const size_t chunk = bytes.size() / 20;
  {
    std::ofstream out(path, std::ios::binary);
    // The first half, written slowly in pieces, as a copy over a slow link would.
    for (int i = 0; i < 10; ++i) {
      out.write(bytes.data() + i * chunk, static_cast<std::streamsize>(chunk));
      out.flush();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      CHECK(host.Status("hello").state() != v1::STATE_SERVING);
    }
    // Stalled longer than settle_ms: the host looks, finds a truncated ELF, reports it.
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    v1::ListResponse list = host.List();
    REQUIRE(list.plugins_size() == 1);
    CHECK(list.plugins(0).state() == v1::STATE_INVALID);
    out.write(bytes.data() + 10 * chunk, static_cast<std::streamsize>(bytes.size() - 10 * chunk));
  }
  REQUIRE(host.WaitForState("hello", v1::STATE_SERVING, 10));
  CHECK(host.Ctl({"call", "hello", "Greet", R"({"name":"x"})"}).exit_code == 0);
}

TEST_CASE("a replaced binary waits for SIGUSR2 in on-signal mode", "[watch]") {
  Host host(std::string(paddock::testing::kEchoGrant) + R"(, "reload": {"settle_ms": 100})");
  host.AddPlugin(TestPlugin("echo-v1"), "echo");
  REQUIRE(host.Start());
  REQUIRE(host.WaitForState("echo", v1::STATE_SERVING, 10));
  // `cp` over the existing file (in place, not a rename).
  fs::copy_file(TestPlugin("echo-v2"), host.plugin_dir() + "/echo",
                fs::copy_options::overwrite_existing);
  REQUIRE(WaitFor(
      [&] { return host.Status("echo").error().find("reload pending") != std::string::npos; }, 10));
  CHECK(host.Status("echo").version() == "1.0.0");
  host.Signal(SIGUSR2);
  REQUIRE(WaitFor([&] { return host.Status("echo").version() == "2.0.0"; }, 10));
  CHECK(host.Status("echo").error().empty());
}

TEST_CASE("a replaced binary reloads by itself in auto mode", "[watch]") {
  Host host(std::string(paddock::testing::kEchoGrant) +
            R"(, "reload": {"settle_ms": 100, "mode": "AUTO"})");
  host.AddPlugin(TestPlugin("echo-v1"), "echo");
  REQUIRE(host.Start());
  REQUIRE(host.WaitForState("echo", v1::STATE_SERVING, 10));
  fs::copy_file(TestPlugin("echo-v2"), host.plugin_dir() + "/echo.tmp");
  fs::rename(host.plugin_dir() + "/echo.tmp", host.plugin_dir() + "/echo");
  REQUIRE(WaitFor(
      [&] {
        v1::PluginInfo p = host.Status("echo");
        return p.version() == "2.0.0" && p.live_instances() == 1;
      },
      10));
  CHECK(host.Status("echo").generation() == 2);
}
