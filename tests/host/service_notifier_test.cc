#include "host/service_notifier.h"

#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "host/notify_listener.h"

namespace paddock::host {
namespace {

using paddock::testing::NotifyListener;

// A temp dir with a NotifyListener in it, $NOTIFY_SOCKET pointing there while it lives.
struct Env {
  Env() {
    char tmpl[] = "/tmp/paddock-notify-XXXXXX";
    dir = mkdtemp(tmpl);
    listener = std::make_unique<NotifyListener>(dir + "/notify.sock");
    setenv("NOTIFY_SOCKET", listener->path().c_str(), 1);
  }
  ~Env() {
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
    listener.reset();
    rmdir(dir.c_str());
  }
  std::string dir;
  std::unique_ptr<NotifyListener> listener;
};

TEST_CASE("without NOTIFY_SOCKET every notification is a successful no-op") {
  unsetenv("NOTIFY_SOCKET");
  auto n = ServiceNotifier::FromEnvironment();
  CHECK_FALSE(n->enabled());
  CHECK(n->watchdog_interval() == absl::ZeroDuration());
  CHECK(n->Ready("x").ok());
  CHECK(n->Stopping("x").ok());
}

TEST_CASE("messages arrive as sd_notify datagrams from this process") {
  Env env;
  REQUIRE(env.listener->ok());
  auto n = ServiceNotifier::FromEnvironment();
  REQUIRE(n->enabled());
  REQUIRE(n->Ready("3 plugins serving").ok());
  auto m = env.listener->Next(5);
  REQUIRE(m);
  CHECK(m->text == "READY=1\nSTATUS=3 plugins serving");
  CHECK(m->pid == getpid());

  REQUIRE(n->Reloading("reloading").ok());
  m = env.listener->Next(5);
  REQUIRE(m);
  CHECK(NotifyListener::HasLine(m->text, "RELOADING=1"));
  CHECK(m->text.find("\nMONOTONIC_USEC=") != std::string::npos);

  REQUIRE(n->Stopping("bye").ok());
  m = env.listener->Next(5);
  REQUIRE(m);
  CHECK(m->text == "STOPPING=1\nSTATUS=bye");

  // A newline in a status would start a bogus assignment.
  REQUIRE(n->Status("two\nlines").ok());
  m = env.listener->Next(5);
  REQUIRE(m);
  CHECK(m->text == "STATUS=two lines");

  REQUIRE(n->Watchdog().ok());
  m = env.listener->Next(5);
  REQUIRE(m);
  CHECK(m->text == "WATCHDOG=1");
}

TEST_CASE("RELOADING carries the CLOCK_MONOTONIC time systemd matches reloads by") {
  CHECK(ServiceNotifier::ReloadingMessage(123456789, "r") ==
        "RELOADING=1\nMONOTONIC_USEC=123456789\nSTATUS=r");
}

TEST_CASE("an unreachable NOTIFY_SOCKET is an error, not a crash") {
  Env env;
  setenv("NOTIFY_SOCKET", (env.dir + "/nobody-listens").c_str(), 1);
  auto n = ServiceNotifier::FromEnvironment();
  absl::Status st = n->Ready("x");
  CHECK_FALSE(st.ok());
  CHECK(std::string(st.message()).find("sd_notify") != std::string::npos);
}

TEST_CASE("the watchdog interval is half of WATCHDOG_USEC, for this pid only") {
  Env env;
  setenv("WATCHDOG_USEC", "3000000", 1);
  CHECK(ServiceNotifier::FromEnvironment()->watchdog_interval() == absl::Milliseconds(1500));
  setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
  CHECK(ServiceNotifier::FromEnvironment()->watchdog_interval() == absl::Milliseconds(1500));
  setenv("WATCHDOG_PID", std::to_string(getpid() + 1).c_str(), 1);
  CHECK(ServiceNotifier::FromEnvironment()->watchdog_interval() == absl::ZeroDuration());
  unsetenv("WATCHDOG_PID");
  setenv("WATCHDOG_USEC", "nonsense", 1);
  CHECK(ServiceNotifier::FromEnvironment()->watchdog_interval() == absl::ZeroDuration());
}

}  // namespace
}  // namespace paddock::host
