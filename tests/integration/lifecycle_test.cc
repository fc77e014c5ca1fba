// The plugin lifecycle end to end, as a user drives it with paddockctl: list, call, status,
// stop/start/restart, logs, crash restarts with backoff, crash-loop parking, and the host's
// own shutdown (graceful and kill -9) taking every plugin with it.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <thread>

#include "integration/harness.h"

using paddock::testing::BundledPlugin;
using paddock::testing::CmdResult;
using paddock::testing::Host;
using paddock::testing::ProcessAlive;
using paddock::testing::TestPlugin;
using paddock::testing::WaitFor;
namespace v1 = paddock::v1;

TEST_CASE("hello serves, answers calls and reports itself", "[lifecycle]") {
  Host host("\"plugins\": {\"hello\": {\"config\": {\"greeting\": \"Hello\"}}}");
  host.AddPlugin(BundledPlugin("hello"), "hello");
  REQUIRE(host.Start());
  REQUIRE(host.WaitForState("hello", v1::STATE_SERVING, 10));

  CmdResult list = host.Ctl({"list"});
  REQUIRE(list.exit_code == 0);
  CHECK(list.out.find("NAME") != std::string::npos);
  CHECK(list.out.find("hello") != std::string::npos);
  CHECK(list.out.find("serving") != std::string::npos);

  CmdResult call = host.Ctl({"call", "hello", "Greet", "{\"name\":\"ada\"}"});
  INFO(call.err);
  REQUIRE(call.exit_code == 0);
  CHECK(call.out.find("Hello, ada!") != std::string::npos);

  // The fully-qualified form and a JSON body from stdin work too.
  CmdResult call2 =
      host.Ctl({"call", "hello", "paddock.hello.v1.Hello/Greet", "-"}, "{\"name\":\"grace\"}");
  REQUIRE(call2.exit_code == 0);
  CHECK(call2.out.find("grace") != std::string::npos);

  v1::PluginInfo info = host.Status("hello");
  CHECK(info.state() == v1::STATE_SERVING);
  CHECK(info.generation() == 1);
  CHECK(info.pid() > 0);
  CHECK(ProcessAlive(info.pid()));
  CHECK(info.binary_path() == host.plugin_dir() + "/hello");
  CHECK(info.binary_sha256().size() == 64);
  CHECK(info.version() == "1.0.0");

  CmdResult human = host.Ctl({"status", "hello"});
  CHECK(human.exit_code == 0);
  CHECK(human.out.find("state:") != std::string::npos);
}

TEST_CASE("stop, start and restart move a plugin between states", "[lifecycle]") {
  Host host;
  host.AddPlugin(BundledPlugin("hello"), "hello");
  REQUIRE(host.Start());
  REQUIRE(host.WaitForState("hello", v1::STATE_SERVING, 10));
  pid_t first = host.Status("hello").pid();

  CmdResult stop = host.Ctl({"stop", "hello"});
  REQUIRE(stop.exit_code == 0);
  CHECK(host.Status("hello").state() == v1::STATE_STOPPED);
  CHECK(WaitFor([&] { return !ProcessAlive(first); }, 5));
  CmdResult refused = host.Ctl({"call", "hello", "Greet", "{}"});
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find("not serving") != std::string::npos);

  CmdResult start = host.Ctl({"start", "hello"});
  REQUIRE(start.exit_code == 0);
  v1::PluginInfo info = host.Status("hello");
  CHECK(info.state() == v1::STATE_SERVING);
  CHECK(info.generation() == 2);

  CmdResult restart = host.Ctl({"--json", "restart", "hello"});
  REQUIRE(restart.exit_code == 0);
  info = host.Status("hello");
  CHECK(info.state() == v1::STATE_SERVING);
  CHECK(info.generation() == 3);
  CHECK(host.Ctl({"call", "hello", "Greet", "{\"name\":\"x\"}"}).exit_code == 0);
}

TEST_CASE("logs shows stored lines and -f follows new ones", "[lifecycle]") {
  Host host;
  host.AddPlugin(BundledPlugin("hello"), "hello");
  REQUIRE(host.Start());
  REQUIRE(host.WaitForState("hello", v1::STATE_SERVING, 10));
  CmdResult logs = host.Ctl({"logs", "hello"});
  REQUIRE(logs.exit_code == 0);
  CHECK(logs.out.find("hello g1") != std::string::npos);

  // Follow in the background, then make the plugin log again by restarting it.
  CmdResult followed;
  std::thread follower([&] {
    followed = paddock::testing::Run({paddock::testing::BuildPath("bin/paddockctl"), "--socket",
                                      host.socket(), "--timeout", "4", "logs", "-f", "hello"},
                                     "", 6);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  REQUIRE(host.Ctl({"restart", "hello"}).exit_code == 0);
  follower.join();
  CHECK(followed.out.find("hello g2") != std::string::npos);
}

TEST_CASE("a killed plugin is restarted and a crash loop parks it until restart", "[lifecycle]") {
  Host host;
  host.AddPlugin(BundledPlugin("hello"), "hello");
  REQUIRE(host.Start());
  REQUIRE(host.WaitForState("hello", v1::STATE_SERVING, 10));
  v1::PluginInfo before = host.Status("hello");
  REQUIRE(kill(before.pid(), SIGKILL) == 0);
  REQUIRE(WaitFor(
      [&] {
        v1::PluginInfo now = host.Status("hello");
        return now.state() == v1::STATE_SERVING && now.pid() != before.pid();
      },
      10));
  v1::PluginInfo after = host.Status("hello");
  CHECK(after.restarts() == 1);
  CHECK(after.generation() == 2);
  CHECK(after.last_exit().find("SIGKILL") != std::string::npos);

  // Keep killing it: after crash_loop_count (4) failures in the window it is parked.
  for (int i = 0; i < 6; ++i) {
    v1::PluginInfo cur;
    if (!WaitFor(
            [&] {
              cur = host.Status("hello");
              return cur.state() == v1::STATE_SERVING || cur.state() == v1::STATE_FAILED;
            },
            10)) {
      FAIL("plugin neither served nor failed");
    }
    if (cur.state() == v1::STATE_FAILED) break;
    kill(cur.pid(), SIGKILL);
    WaitFor([&] { return !ProcessAlive(cur.pid()); }, 5);
  }
  REQUIRE(host.WaitForState("hello", v1::STATE_FAILED, 10));
  v1::PluginInfo failed = host.Status("hello");
  CHECK(failed.error().find("crash loop") != std::string::npos);
  CHECK(failed.error().find("SIGKILL") != std::string::npos);
  CHECK(failed.pid() == 0);

  CmdResult restart = host.Ctl({"restart", "hello"});
  REQUIRE(restart.exit_code == 0);
  CHECK(host.Status("hello").state() == v1::STATE_SERVING);
  CHECK(host.Status("hello").restarts() == 0);
}

TEST_CASE("SIGTERM on the host stops every plugin gracefully", "[lifecycle]") {
  Host host;
  host.AddPlugin(BundledPlugin("hello"), "hello");
  host.AddPlugin(BundledPlugin("hello"), "hello-copy");  // duplicate name: reported invalid
  REQUIRE(host.Start());
  REQUIRE(host.WaitForState("hello", v1::STATE_SERVING, 10));
  pid_t plugin = host.Status("hello").pid();
  host.Signal(SIGTERM);
  CHECK(host.Wait(15) == 0);
  CHECK_FALSE(ProcessAlive(plugin));
  CHECK(host.Log().find("hello g1 exited with status 0") != std::string::npos);
}

TEST_CASE("kill -9 on the host takes every plugin with it", "[lifecycle]") {
  Host host;
  host.AddPlugin(BundledPlugin("hello"), "hello");
  REQUIRE(host.Start());
  REQUIRE(host.WaitForState("hello", v1::STATE_SERVING, 10));
  pid_t plugin = host.Status("hello").pid();
  REQUIRE(ProcessAlive(plugin));
  host.Signal(SIGKILL);
  host.Wait(5);
  CHECK(WaitFor([&] { return !ProcessAlive(plugin); }, 5));
}
