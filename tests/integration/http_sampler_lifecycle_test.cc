// http-sampler's kernel objects over its life: refused without the grant; no filter or
// program left behind after a crash (the next instance cleans up) or a stop; a reload
// keeps a filter attached at every moment (two generations overlap), and the old
// generation removes only its own.
#include <signal.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "integration/http_sampler_fixture.h"

using paddock::testing::CmdResult;
using paddock::testing::Host;
using paddock::testing::WaitFor;
using paddock::testing::sampler::CanRun;
using paddock::testing::sampler::GracefulStop;
using paddock::testing::sampler::ProgLoaded;
using paddock::testing::sampler::RecordedProgIds;
using paddock::testing::sampler::SamplerSection;
using paddock::testing::sampler::TcProgIds;
namespace v1 = paddock::v1;

namespace {

const char* kConfig = "{\"interfaces\": [\"lo\"], \"default_rate_ppm\": 0}";

// True if every id is on lo's hooks (ingress or egress).
bool AllAttached(const std::set<std::string>& ids) {
  std::set<std::string> on = TcProgIds(true), eg = TcProgIds(false);
  for (const std::string& id : ids) {
    if (on.count(id) == 0 && eg.count(id) == 0) return false;
  }
  return true;
}

bool NoneLeft(const std::set<std::string>& ids) {
  std::set<std::string> on = TcProgIds(true), eg = TcProgIds(false);
  for (const std::string& id : ids) {
    if (on.count(id) != 0 || eg.count(id) != 0 || ProgLoaded(id)) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("without the grant the sampler is refused with the reason", "[http-sampler]") {
  if (!CanRun()) return;
  // A config section without a grant: the default grant has no capabilities.
  Host host("\"plugins\": {\"http-sampler\": {\"config\": {\"interfaces\": [\"lo\"]}}}");
  GracefulStop graceful(host);
  host.AddPlugin(paddock::testing::BundledPlugin("http-sampler"), "http-sampler");
  REQUIRE(host.Start());
  v1::PluginInfo info;
  REQUIRE(WaitFor(
      [&] {
        info = host.Status("http-sampler");
        return !info.error().empty();
      },
      10));
  INFO(info.DebugString());
  CHECK(info.state() != v1::STATE_SERVING);
  CHECK(info.pid() == 0);
  // The first thing asked beyond the grant is named, with where to grant it.
  CHECK(info.error().find("network_host") != std::string::npos);
  CHECK(info.error().find("http-sampler") != std::string::npos);
  CHECK(info.error().find("CAP_BPF") != std::string::npos);  // Every denial is listed.
}

TEST_CASE("no filter or program is left behind after a crash or a stop", "[http-sampler]") {
  if (!CanRun()) return;
  Host host(SamplerSection(kConfig));
  GracefulStop graceful(host);
  host.AddPlugin(paddock::testing::BundledPlugin("http-sampler"), "http-sampler");
  REQUIRE(host.Start());
  INFO(host.Log());
  REQUIRE(host.WaitForState("http-sampler", v1::STATE_SERVING, 20));
  std::set<std::string> first = RecordedProgIds(host);
  // lo: one filter, on ingress, which sees requests and responses (everything sent on lo
  // comes back in on it); nothing on egress.
  REQUIRE(first.size() == 1);
  CHECK(TcProgIds(true).count(*first.begin()) == 1);
  CHECK(TcProgIds(false).count(*first.begin()) == 0);
  CHECK(AllAttached(first));
  for (const std::string& id : first) CHECK(ProgLoaded(id));

  // SIGKILL: the instance cannot clean up; its successor removes what it left.
  v1::PluginInfo before = host.Status("http-sampler");
  REQUIRE(kill(before.pid(), SIGKILL) == 0);
  REQUIRE(WaitFor(
      [&] {
        v1::PluginInfo now = host.Status("http-sampler");
        return now.state() == v1::STATE_SERVING && now.pid() != before.pid();
      },
      20));
  std::set<std::string> second = RecordedProgIds(host);
  REQUIRE(second.size() == 1);
  CHECK(AllAttached(second));
  CHECK(WaitFor([&] { return NoneLeft(first); }, 5));

  // A stop detaches and unloads everything.
  REQUIRE(host.Ctl({"stop", "http-sampler"}).exit_code == 0);
  CHECK(WaitFor([&] { return NoneLeft(second); }, 5));
  CHECK(RecordedProgIds(host).empty());

  // And so does the host's own shutdown.
  REQUIRE(host.Ctl({"start", "http-sampler"}).exit_code == 0);
  REQUIRE(host.WaitForState("http-sampler", v1::STATE_SERVING, 20));
  std::set<std::string> third = RecordedProgIds(host);
  REQUIRE(third.size() == 1);
  host.Signal(SIGTERM);
  CHECK(host.Wait(15) == 0);
  CHECK(WaitFor([&] { return NoneLeft(third); }, 5));
}

TEST_CASE("a reload keeps the program attached at every moment", "[http-sampler][reload]") {
  if (!CanRun()) return;
  Host host(SamplerSection(kConfig));
  GracefulStop graceful(host);
  host.AddPlugin(paddock::testing::BundledPlugin("http-sampler"), "http-sampler");
  REQUIRE(host.Start());
  INFO(host.Log());
  REQUIRE(host.WaitForState("http-sampler", v1::STATE_SERVING, 20));
  std::set<std::string> old_ids = RecordedProgIds(host);
  REQUIRE(old_ids.size() == 1);

  // Watch lo's ingress hook while the reload runs: one of this host's filters must be
  // there at every observation. Records are read before and after each `tc` look, so a
  // filter attached (and recorded) meanwhile is recognised.
  std::atomic<bool> stop{false};
  std::atomic<int> looks{0}, gaps{0};
  std::thread watcher([&] {
    while (!stop.load()) {
      std::set<std::string> ids = RecordedProgIds(host);
      std::set<std::string> attached = TcProgIds(true);
      for (const std::string& id : RecordedProgIds(host)) ids.insert(id);
      bool covered = false;
      for (const std::string& id : ids) covered = covered || attached.count(id) != 0;
      if (!covered) ++gaps;
      ++looks;
    }
  });
  CmdResult reload = host.Ctl({"reload", "http-sampler"});
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  stop = true;
  watcher.join();
  INFO(reload.out << reload.err);
  if (reload.exit_code != 0 && reload.err == "paddockctl: \n" &&
      host.Status("http-sampler").generation() == 1) {
    // The host answers UNIMPLEMENTED (no message) until its reload lands.
    WARN("skipped: this paddockd does not implement reload yet");
    return;
  }
  REQUIRE(reload.exit_code == 0);
  CHECK(host.Status("http-sampler").generation() == 2);
  CHECK(looks.load() > 10);
  CHECK(gaps.load() == 0);

  std::set<std::string> new_ids = RecordedProgIds(host);
  REQUIRE(new_ids.size() == 1);
  for (const std::string& id : new_ids) CHECK(old_ids.count(id) == 0);
  CHECK(AllAttached(new_ids));
  CHECK(WaitFor([&] { return NoneLeft(old_ids); }, 5));
}
