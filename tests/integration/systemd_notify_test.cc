// paddockd as a systemd Type=notify service, without systemd: the test owns the
// $NOTIFY_SOCKET datagram socket and checks the sequence a service manager would see
// around a start, a SIGUSR2 hot reload and a SIGTERM: READY=1 (only once the plugins
// serve), RELOADING=1 + MONOTONIC_USEC, READY=1 (the new generation serving), STOPPING=1,
// every datagram sent by paddockd itself (NotifyAccess=main), plus watchdog pings.
// (This machine's PID 1 is not systemd, so a transient unit cannot be started here.)
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "host/notify_listener.h"
#include "integration/harness.h"

using paddock::testing::BundledPlugin;
using paddock::testing::Host;
using paddock::testing::NotifyListener;
using paddock::testing::TestPlugin;
namespace fs = std::filesystem;
namespace v1 = paddock::v1;

namespace {

// Sets an environment variable for the lifetime of the scope (paddockd inherits it).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() { unsetenv(name_); }

 private:
  const char* name_;
};

TEST_CASE("READY, RELOADING, READY, STOPPING arrive in order around SIGUSR2 and SIGTERM") {
  Host host(paddock::testing::kEchoGrant + std::string(R"(, "reload": {"soak_ms": 100})"));
  NotifyListener notify(host.dir() + "/notify.sock");
  REQUIRE(notify.ok());
  host.AddPlugin(BundledPlugin("hello"), "hello");
  host.AddPlugin(TestPlugin("echo-v1"), "echo");
  ScopedEnv socket("NOTIFY_SOCKET", notify.path());
  // A 1 s watchdog: paddockd must ping every 0.5 s.
  ScopedEnv watchdog("WATCHDOG_USEC", "1000000");
  REQUIRE(host.Start());

  std::string skipped;
  auto ready = notify.WaitFor("READY=1", 20, &skipped);
  REQUIRE(ready);
  INFO("datagrams before READY: " << skipped);
  CHECK(ready->pid == host.pid());
  CHECK(NotifyListener::HasLine(ready->text, "STATUS=2 plugins serving"));
  // READY means the first supervision pass is over: both plugins already serve.
  CHECK(host.Status("hello").state() == v1::STATE_SERVING);
  CHECK(host.Status("echo").state() == v1::STATE_SERVING);
  CHECK(skipped.find("RELOADING") == std::string::npos);
  CHECK(skipped.find("STOPPING") == std::string::npos);

  // Watchdog pings keep coming while it runs.
  REQUIRE(notify.WaitFor("WATCHDOG=1", 3));
  REQUIRE(notify.WaitFor("WATCHDOG=1", 3));

  // A new echo binary, then the reload signal systemd's ExecReload= sends.
  fs::copy_file(TestPlugin("echo-v2"), host.plugin_dir() + "/echo.new");
  fs::rename(host.plugin_dir() + "/echo.new", host.plugin_dir() + "/echo");
  host.Signal(SIGUSR2);
  skipped.clear();
  auto reloading = notify.WaitFor("RELOADING=1", 10, &skipped);
  REQUIRE(reloading);
  CHECK(reloading->pid == host.pid());
  CHECK(reloading->text.find("\nMONOTONIC_USEC=") != std::string::npos);
  CHECK(skipped.find("READY=1") == std::string::npos);

  skipped.clear();
  auto reloaded = notify.WaitFor("READY=1", 20, &skipped);
  REQUIRE(reloaded);
  CHECK(skipped.find("STOPPING") == std::string::npos);
  // READY after the reload round: echo's new generation took over.
  v1::PluginInfo echo = host.Status("echo");
  CHECK(echo.state() == v1::STATE_SERVING);
  CHECK(echo.generation() == 2);
  CHECK(echo.version() == "2.0.0");

  host.Signal(SIGTERM);
  skipped.clear();
  auto stopping = notify.WaitFor("STOPPING=1", 10, &skipped);
  REQUIRE(stopping);
  CHECK(stopping->pid == host.pid());
  CHECK(skipped.find("READY=1") == std::string::npos);
  CHECK(host.Wait(15) == 0);
  // Nothing but watchdog pings after STOPPING.
  while (auto m = notify.Next(0.2)) CHECK(m->text == "WATCHDOG=1");
}

TEST_CASE("READY comes even when a plugin is invalid, and umask 077 changes nothing") {
  Host host;
  NotifyListener notify(host.dir() + "/notify.sock");
  REQUIRE(notify.ok());
  host.AddPlugin(BundledPlugin("hello"), "hello");
  host.AddFile("broken", "#!/bin/sh\necho not a plugin\n");
  ScopedEnv socket("NOTIFY_SOCKET", notify.path());
  // A restrictive inherited umask (a hardened login, UMask= in a unit) must not keep the
  // plugins' uids out of what paddockd makes for them (mount points, instance dirs).
  mode_t old_umask = umask(077);
  bool started = host.Start();
  umask(old_umask);
  REQUIRE(started);
  auto ready = notify.WaitFor("READY=1", 20);
  REQUIRE(ready);
  CHECK(NotifyListener::HasLine(ready->text, "STATUS=1 of 2 plugins serving; 1 invalid"));
  host.Signal(SIGTERM);
  CHECK(notify.WaitFor("STOPPING=1", 10));
  CHECK(host.Wait(15) == 0);
}

}  // namespace
