// Zero-downtime hot reload: under a steady stream of calls through the host, replacing the
// echo plugin's binary and sending SIGUSR2 switches answers from one version to the next
// with no failed call, retires exactly one old process, and leaks nothing across 20 swaps.
// Broken new versions never disturb the serving one.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "integration/harness.h"
#include "integration/reload_load.h"

using paddock::testing::CallLoad;
using paddock::testing::CmdResult;
using paddock::testing::Host;
using paddock::testing::ProcessAlive;
using paddock::testing::TestPlugin;
using paddock::testing::WaitFor;
namespace fs = std::filesystem;
namespace v1 = paddock::v1;

namespace {

const std::string kReloadConfig = std::string(paddock::testing::kEchoGrant) +
                                  R"(, "reload": {"soak_ms": 150, "drain_ms": 2000,)"
                                  R"( "ready_deadline_ms": 3000})";

// Replaces the plugin binary the way `install` does: a new file renamed over the old.
void Install(Host& host, const std::string& variant) {
  std::string dst = host.plugin_dir() + "/echo";
  fs::copy_file(TestPlugin(variant), dst + ".new", fs::copy_options::overwrite_existing);
  fs::rename(dst + ".new", dst);
}

size_t CountEntries(const std::string& dir) {
  size_t n = 0;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); ++it) {
    ++n;
  }
  return n;
}

// Processes running as `uid` whose parent is `parent` (other test hosts run plugins of the
// same name, hence the same uid, at the same time).
std::vector<pid_t> ProcessesOf(uint32_t uid, pid_t parent) {
  std::vector<pid_t> out;
  for (const auto& e : fs::directory_iterator("/proc")) {
    std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream st(e.path() / "status");
    std::string line;
    pid_t ppid = -1;
    while (std::getline(st, line)) {
      if (line.rfind("PPid:", 0) == 0) ppid = std::stoi(line.substr(5));
      if (line.rfind("Uid:", 0) == 0) {
        std::istringstream in(line.substr(4));
        uint32_t real = 0;
        in >> real;
        if (real == uid && ppid == parent && ProcessAlive(std::stoi(name))) {
          out.push_back(std::stoi(name));
        }
        break;
      }
    }
  }
  return out;
}

bool Settled(Host& host, uint64_t generation) {
  v1::PluginInfo p = host.Status("echo");
  return p.generation() == generation && p.live_instances() == 1 &&
         p.state() == v1::STATE_SERVING && p.last_reload().generation() == generation;
}

}  // namespace

TEST_CASE("20 hot swaps under load: zero failed calls, versions switch, nothing leaks",
          "[reload]") {
  Host host(kReloadConfig);
  host.AddPlugin(TestPlugin("echo-v1"), "echo");
  REQUIRE(host.Start());
  REQUIRE(host.WaitForState("echo", v1::STATE_SERVING, 10));
  uint32_t uid = host.Status("echo").confinement().uid();
  REQUIRE(uid != 0);
  size_t host_fds = CountEntries("/proc/" + std::to_string(host.pid()) + "/fd");

  CallLoad load(host.socket(), 4, 600);  // ~2,400 calls/s through the host
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  for (int i = 0; i < 20; ++i) {
    std::string version = i % 2 == 0 ? "2.0.0" : "1.0.0";
    v1::PluginInfo before = host.Status("echo");
    Install(host, i % 2 == 0 ? "echo-v2" : "echo-v1");
    host.Signal(SIGUSR2);
    INFO("swap " << i << " to " << version);
    REQUIRE(WaitFor([&] { return Settled(host, before.generation() + 1); }, 20));
    v1::PluginInfo after = host.Status("echo");
    CHECK(after.version() == version);
    CHECK(after.last_reload().succeeded());
    CHECK_FALSE(ProcessAlive(before.pid()));
    CHECK(ProcessAlive(after.pid()));
    CHECK(WaitFor([&] { return load.last_version() == version; }, 5));
    CHECK(ProcessesOf(uid, host.pid()).size() == 1);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  load.Stop();
  INFO("errors: " << (load.errors().empty() ? "" : load.errors()[0]));
  CHECK(load.failed() == 0);
  CHECK(load.max_switches() <= 20);
  CHECK(load.ok() > 2000);
  auto versions = load.by_version();
  CHECK(versions["1.0.0"] > 0);
  CHECK(versions["2.0.0"] > 0);
  // Nothing left behind: one instance dir (plus the shared empty root and the host's invoke
  // socket dir), one cgroup per hierarchy, about as many host descriptors as before.
  CHECK(CountEntries(host.runtime_dir()) == 3);
  CHECK(CountEntries("/sys/fs/cgroup/pids/" + host.CgroupName()) >= 1);
  size_t instance_cgroups = 0;
  for (const auto& e : fs::directory_iterator("/sys/fs/cgroup/pids/" + host.CgroupName())) {
    instance_cgroups += e.is_directory();
  }
  CHECK(instance_cgroups == 1);
  size_t fds_after = CountEntries("/proc/" + std::to_string(host.pid()) + "/fd");
  CHECK(fds_after <= host_fds + 4);
}

TEST_CASE("a broken new version never disturbs the serving one", "[reload]") {
  // The default soak (500 ms) covers echo-v3-crash, which dies 300 ms after it starts.
  Host host(std::string(paddock::testing::kEchoGrant) +
            R"(, "reload": {"ready_deadline_ms": 3000})");
  host.AddPlugin(TestPlugin("echo-v2"), "echo");
  REQUIRE(host.Start());
  REQUIRE(host.WaitForState("echo", v1::STATE_SERVING, 10));
  pid_t serving = host.Status("echo").pid();
  CallLoad load(host.socket(), 2, 500);
  struct Case {
    const char* variant;
    const char* reason;
  };
  for (Case c : {Case{"echo-v3-exit", "exited with status 4"},
                 Case{"echo-v3-hang", "did not become healthy"},
                 Case{"echo-v3-crash", "exited with status 5"}}) {
    INFO(c.variant);
    Install(host, c.variant);
    CmdResult r = host.Ctl({"reload", "echo"});
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("FAILED") != std::string::npos);
    v1::PluginInfo p = host.Status("echo");
    CHECK(p.pid() == serving);
    CHECK(p.version() == "2.0.0");
    CHECK(p.state() == v1::STATE_SERVING);
    CHECK_FALSE(p.last_reload().succeeded());
    CHECK(p.last_reload().error().find(c.reason) != std::string::npos);
    CHECK(WaitFor([&] { return host.Status("echo").live_instances() == 1; }, 10));
  }
  load.Stop();
  INFO("errors: " << (load.errors().empty() ? "" : load.errors()[0]));
  CHECK(load.failed() == 0);
  CHECK(load.by_version().size() == 1);
  CHECK(host.Ctl({"status", "echo"}).out.find("FAILED") != std::string::npos);
}

TEST_CASE("datagrams to a host-held socket are all received across a reload", "[reload]") {
  Host host(kReloadConfig);
  host.AddPlugin(TestPlugin("echo-v1"), "echo");
  REQUIRE(host.Start());
  REQUIRE(host.WaitForState("echo", v1::STATE_SERVING, 10));
  v1::PluginInfo p = host.Status("echo");
  REQUIRE(p.sockets_size() == 1);
  std::string held = p.sockets(0);  // "udp: udp 127.0.0.1:PORT"
  int port = std::stoi(held.substr(held.rfind(':') + 1));

  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  constexpr int kTotal = 30000;  // 10,000 datagrams/s for 3 s, a reload in the middle
  std::thread sender([&] {
    auto next = std::chrono::steady_clock::now();
    for (int i = 0; i < kTotal; ++i) {
      std::string msg = std::to_string(i);
      sendto(fd, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
      next += std::chrono::microseconds(100);
      std::this_thread::sleep_until(next);
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  Install(host, "echo-v2");
  CmdResult r = host.Ctl({"reload"});
  CHECK(r.exit_code == 0);
  sender.join();
  close(fd);
  REQUIRE(host.Status("echo").version() == "2.0.0");
  std::set<int> seen;
  size_t files = 0;
  bool all = WaitFor(
      [&] {
        seen.clear();
        files = 0;
        for (const auto& e : fs::directory_iterator(host.data_dir() + "/echo")) {
          if (e.path().filename().string().rfind("udp-g", 0) != 0) continue;
          ++files;
          std::ifstream in(e.path());
          std::string line;
          while (std::getline(in, line)) {
            if (!line.empty()) seen.insert(std::stoi(line));
          }
        }
        return seen.size() == kTotal;
      },
      5);
  INFO(host.Log());
  INFO("received " << seen.size() << " of " << kTotal << " in " << files << " files");
  REQUIRE(all);
  CHECK(files == 2);  // Both generations received some.
  CHECK(*seen.begin() == 0);
  CHECK(*seen.rbegin() == kTotal - 1);
}

TEST_CASE("reload requests coalesce: a signal storm plus CLI reloads", "[reload]") {
  Host host(kReloadConfig);
  host.AddPlugin(TestPlugin("echo-v1"), "echo");
  REQUIRE(host.Start());
  REQUIRE(host.WaitForState("echo", v1::STATE_SERVING, 10));
  uint32_t uid = host.Status("echo").confinement().uid();
  Install(host, "echo-v2");
  std::vector<std::thread> clis;
  std::vector<int> codes(3, -1);
  for (int i = 0; i < 3; ++i) {
    clis.emplace_back([&, i] { codes[i] = host.Ctl({"reload"}).exit_code; });
  }
  for (int i = 0; i < 20; ++i) host.Signal(SIGUSR2);
  for (auto& t : clis) t.join();
  for (int c : codes) CHECK(c == 0);
  REQUIRE(WaitFor(
      [&] {
        v1::PluginInfo p = host.Status("echo");
        return p.version() == "2.0.0" && p.live_instances() == 1 && p.state() == v1::STATE_SERVING;
      },
      20));
  // The binary changed once, so it was swapped once.
  CHECK(host.Status("echo").generation() == 2);
  CHECK(WaitFor([&] { return ProcessesOf(uid, host.pid()).size() == 1; }, 5));
  CHECK(host.Ctl({"call", "echo", "Echo", "{}"}).exit_code == 0);
}
