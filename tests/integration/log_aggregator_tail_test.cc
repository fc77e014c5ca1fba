// Tail through `paddockctl call` (server streaming via the host): a replay from a start
// time that ends by itself, and a follow that sees exactly the new lines matching its
// filter, in order, until the caller's deadline cuts it, after which the plugin keeps
// serving.
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "integration/harness.h"
#include "plugins/log-aggregator/integration_util.h"

using paddock::testing::BundledPlugin;
using paddock::testing::CmdResult;
using paddock::testing::Host;
using paddock::testing::WaitFor;
namespace itest = paddock::logagg::itest;
namespace v1 = paddock::v1;

namespace {

std::vector<std::string> Messages(const std::string& out) {
  std::vector<std::string> msgs;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    itest::Json j = itest::ParseJson(line);
    REQUIRE(j.ok);
    msgs.push_back(j.S("message"));
  }
  return msgs;
}

void SendLines(int fd, const std::string& app, int from, int n) {
  for (int i = from; i < from + n; ++i) {
    std::string l = "<13>Mar 15 11:00:00 h " + app + ": n=" + std::to_string(i);
    REQUIRE(send(fd, l.data(), l.size(), 0) == static_cast<ssize_t>(l.size()));
  }
}

}  // namespace

TEST_CASE("Tail through paddockctl: replay, and follow until the caller stops",
          "[log-aggregator][tail]") {
  Host host(itest::PluginConfig("\"flushIntervalMs\": 20"));
  host.AddPlugin(BundledPlugin("log-aggregator"), "log-aggregator");
  REQUIRE(host.Start());
  REQUIRE(host.WaitForState("log-aggregator", v1::STATE_SERVING, 15));
  itest::Json stats = itest::Call(host, "Stats", "{}");
  REQUIRE(stats.ok);
  int tx = itest::UdpSocketTo(itest::PortOf(stats.S("udpAddress")));
  SendLines(tx, "old", 0, 50);
  REQUIRE(WaitFor([&] { return itest::Call(host, "Stats", "{}").U("written") == 50; }, 10));

  // Replay: ends on its own once the stored lines are sent.
  CmdResult replay = host.Ctl(
      {"call", "log-aggregator", "Tail", R"({"filter":{"startTime":"1970-01-01T00:00:01Z"}})"});
  INFO(replay.err);
  REQUIRE(replay.exit_code == 0);
  std::vector<std::string> old = Messages(replay.out);
  REQUIRE(old.size() == 50);
  CHECK(old.front() == "n=0");
  CHECK(old.back() == "n=49");

  // Follow: only new lines of app "live", until --timeout ends the call.
  CmdResult follow;
  std::thread t([&] {
    follow = host.Ctl({"--timeout", "4", "call", "log-aggregator", "Tail",
                       R"({"follow":true,"filter":{"app":"live"}})"});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  for (int i = 0; i < 100; i += 10) {
    SendLines(tx, "live", i, 10);
    SendLines(tx, "other", i, 10);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  t.join();
  close(tx);
  std::vector<std::string> live = Messages(follow.out);
  REQUIRE(live.size() == 100);
  for (int i = 0; i < 100; ++i) CHECK(live[static_cast<size_t>(i)] == "n=" + std::to_string(i));
  CHECK(follow.exit_code == 1);  // Cut by its deadline, as asked.
  // The stream was cancelled in the plugin, which keeps serving.
  CHECK(itest::Call(host, "Stats", "{}").U("written") == 250);
  CHECK(host.Status("log-aggregator").state() == v1::STATE_SERVING);
}
