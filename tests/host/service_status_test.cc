#include "host/service_status.h"

#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "host/notify_listener.h"

namespace paddock::host {
namespace {

using paddock::testing::NotifyListener;
using paddock::v1::ListResponse;
using paddock::v1::PluginState;

ListResponse Plugins(const std::vector<PluginState>& states) {
  ListResponse r;
  int i = 0;
  for (PluginState s : states) {
    auto* p = r.add_plugins();
    p->set_name("p" + std::to_string(i++));
    p->set_state(s);
  }
  return r;
}

TEST_CASE("the status line counts plugins by state") {
  using namespace paddock::v1;
  CHECK(StatusLine(SummarizePlugins(Plugins({}))) == "no plugins");
  CHECK(StatusLine(SummarizePlugins(Plugins({STATE_SERVING}))) == "1 plugin serving");
  CHECK(StatusLine(SummarizePlugins(Plugins(
            {STATE_SERVING, STATE_SERVING, STATE_SERVING, STATE_SERVING, STATE_SERVING}))) ==
        "5 plugins serving");
  CHECK(StatusLine(
            SummarizePlugins(Plugins({STATE_SERVING, STATE_FAILED, STATE_INVALID, STATE_STARTING,
                                      STATE_BACKOFF, STATE_STOPPED, STATE_DRAINING}))) ==
        "1 of 7 plugins serving; 1 starting, 1 draining, 1 restarting, 1 failed, 1 stopped, "
        "1 invalid");
}

TEST_CASE("settled means no plugin is still starting") {
  using namespace paddock::v1;
  CHECK(Settled(SummarizePlugins(Plugins({}))));
  CHECK(Settled(SummarizePlugins(Plugins({STATE_SERVING, STATE_FAILED, STATE_BACKOFF}))));
  CHECK_FALSE(Settled(SummarizePlugins(Plugins({STATE_SERVING, STATE_STARTING}))));
  CHECK_FALSE(Settled(SummarizePlugins(Plugins({STATE_UNSPECIFIED}))));
}

// An event loop, a notify socket and a ServiceStatus over a list the test controls.
struct Fixture {
  Fixture() {
    char tmpl[] = "/tmp/paddock-status-XXXXXX";
    dir = mkdtemp(tmpl);
    listener = std::make_unique<NotifyListener>(dir + "/notify.sock");
    setenv("NOTIFY_SOCKET", listener->path().c_str(), 1);
    notifier = ServiceNotifier::FromEnvironment();
    loop = std::move(*EventLoop::Create());
  }
  ~Fixture() {
    unsetenv("NOTIFY_SOCKET");
    listener.reset();
    rmdir(dir.c_str());
  }
  // Runs the loop for `d`.
  void RunFor(absl::Duration d) {
    loop->RunAfter(d, [this] { loop->Quit(); });
    loop->Run();
  }
  // Every datagram received so far, joined by '|'.
  std::string Received() {
    std::string all;
    while (auto m = listener->Next(0.05)) all += m->text + "|";
    return all;
  }

  std::string dir;
  std::unique_ptr<NotifyListener> listener;
  std::unique_ptr<ServiceNotifier> notifier;
  std::unique_ptr<EventLoop> loop;
  ListResponse list;
};

TEST_CASE("READY waits until no plugin is starting") {
  using namespace paddock::v1;
  Fixture f;
  REQUIRE(f.listener->ok());
  f.list = Plugins({STATE_SERVING, STATE_STARTING});
  ServiceStatus status(
      f.loop.get(), f.notifier.get(), [&] { return f.list; }, absl::Seconds(30));
  f.loop->Post([&] { status.Started(); });
  f.RunFor(absl::Milliseconds(200));
  CHECK_FALSE(status.ready_sent());
  CHECK(f.Received().empty());

  f.list = Plugins({STATE_SERVING, STATE_FAILED});
  f.RunFor(absl::Milliseconds(200));
  CHECK(status.ready_sent());
  CHECK(f.Received() == "READY=1\nSTATUS=1 of 2 plugins serving; 1 failed|");

  // A later change shows in STATUS= (within the 2 s refresh).
  f.list = Plugins({STATE_SERVING, STATE_SERVING});
  f.RunFor(absl::Milliseconds(2300));
  CHECK(f.Received() == "STATUS=2 plugins serving|");
}

TEST_CASE("READY comes at the deadline even if a plugin never settles") {
  using namespace paddock::v1;
  Fixture f;
  f.list = Plugins({STATE_STARTING});
  ServiceStatus status(
      f.loop.get(), f.notifier.get(), [&] { return f.list; }, absl::Milliseconds(150));
  f.loop->Post([&] { status.Started(); });
  f.RunFor(absl::Milliseconds(400));
  CHECK(status.ready_sent());
  CHECK(f.Received() == "READY=1\nSTATUS=0 of 1 plugin serving; 1 starting|");
}

TEST_CASE("reloads: RELOADING then READY once every coalesced reload is done, STOPPING last") {
  using namespace paddock::v1;
  Fixture f;
  f.list = Plugins({STATE_SERVING});
  ServiceStatus status(
      f.loop.get(), f.notifier.get(), [&] { return f.list; }, absl::Seconds(30));
  // Before READY a reload is covered by the READY still to come.
  status.Reloading();
  status.Reloaded();
  CHECK(f.Received().empty());

  f.loop->Post([&] { status.Started(); });
  f.RunFor(absl::Milliseconds(100));
  CHECK(f.Received() == "READY=1\nSTATUS=1 plugin serving|");

  status.Reloading();
  status.Reloading();  // A second SIGUSR2 during the round.
  std::string r = f.Received();
  CHECK(r.rfind("RELOADING=1\nMONOTONIC_USEC=", 0) == 0);
  CHECK(r.find("RELOADING=1", 1) == std::string::npos);
  status.Reloaded();
  CHECK(f.Received().empty());
  status.Reloaded();
  CHECK(f.Received() == "READY=1\nSTATUS=1 plugin serving|");

  status.Stopping();
  status.Stopping();
  CHECK(f.Received() == "STOPPING=1\nSTATUS=stopping every plugin|");
  // Nothing after STOPPING, not even a late reload answer or a status refresh.
  status.Reloading();
  status.Reloaded();
  f.list = Plugins({STATE_STOPPED});
  f.RunFor(absl::Milliseconds(2200));
  CHECK(f.Received().empty());
}

TEST_CASE("the watchdog is pinged from the loop when the service has one") {
  using namespace paddock::v1;
  Fixture f;
  setenv("WATCHDOG_USEC", "200000", 1);
  auto notifier = ServiceNotifier::FromEnvironment();
  unsetenv("WATCHDOG_USEC");
  REQUIRE(notifier->watchdog_interval() == absl::Milliseconds(100));
  ServiceStatus status(
      f.loop.get(), notifier.get(), [&] { return f.list; }, absl::Seconds(30));
  f.loop->Post([&] { status.Started(); });
  f.RunFor(absl::Milliseconds(450));
  std::string r = f.Received();
  size_t pings = 0;
  for (size_t p = r.find("WATCHDOG=1"); p != std::string::npos; p = r.find("WATCHDOG=1", p + 1)) {
    ++pings;
  }
  CHECK(pings >= 3);
  CHECK(pings <= 6);
}

}  // namespace
}  // namespace paddock::host
