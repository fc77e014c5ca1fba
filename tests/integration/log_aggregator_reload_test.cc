// Across a hot reload of log-aggregator under a steady 50,000 lines/s UDP stream, no line
// is lost: the host holds the UDP socket, the old generation stops reading it when it
// drains (after the new one is serving), and whatever the kernel queued meanwhile is read
// by the new generation. Both generations share the data dir (each writes its own
// segments; the new one leaves the live old one's segment alone).
//
// Needs the host's reload (`paddockctl reload NAME`, issue 4). Until the control service
// implements it, the test says so and stops: a probe of the Reload RPC for a plugin that
// does not exist answers UNIMPLEMENTED instead of an error about the name.
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <thread>

#include "grpcpp/grpcpp.h"
#include "integration/harness.h"
#include "paddock/v1/control.grpc.pb.h"
#include "plugins/log-aggregator/integration_util.h"

using paddock::testing::BundledPlugin;
using paddock::testing::CmdResult;
using paddock::testing::Host;
using paddock::testing::WaitFor;
namespace itest = paddock::logagg::itest;
namespace v1 = paddock::v1;

TEST_CASE("Zero lines lost across a hot reload at 50,000 lines/s", "[log-aggregator][reload]") {
  Host host(itest::PluginConfig("\"flushIntervalMs\": 50"));
  host.AddPlugin(BundledPlugin("log-aggregator"), "log-aggregator");
  REQUIRE(host.Start());
  REQUIRE(host.WaitForState("log-aggregator", v1::STATE_SERVING, 15));
  {
    auto stub = v1::Control::NewStub(
        grpc::CreateChannel("unix:" + host.socket(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::ReloadRequest probe;
    probe.set_name("no-such-plugin-probe");
    v1::ReloadResponse resp;
    grpc::Status st = stub->Reload(&ctx, probe, &resp);
    if (st.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
      WARN("skipped: this paddockd does not implement Reload yet (issue 4)");
      return;
    }
  }
  itest::Json stats = itest::Call(host, "Stats", "{}");
  REQUIRE(stats.ok);
  const uint16_t port = itest::PortOf(stats.S("udpAddress"));
  const uint64_t first_generation = host.Status("log-aggregator").generation();

  constexpr double kRate = 50000;
  constexpr uint64_t kN = 200000;  // 4 s.
  int tx = itest::UdpSocketTo(port);
  std::thread sender([&] {
    itest::SendPaced(tx, 0, kN, kRate, [](uint64_t i) {
      return "<13>Mar 15 11:00:00 loadgen app[1]: seq=" + std::to_string(i) + " " +
             std::string(120, 'x');
    });
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  CmdResult reload = host.Ctl({"reload", "log-aggregator"});
  sender.join();
  close(tx);
  INFO(reload.out << reload.err);
  REQUIRE(reload.exit_code == 0);
  v1::PluginInfo info = host.Status("log-aggregator");
  CHECK(info.generation() > first_generation);
  CHECK(info.last_reload().succeeded());

  REQUIRE(WaitFor(
      [&] {
        return itest::ReadSegmentLines(host.data_dir() + "/log-aggregator/segments").size() >= kN;
      },
      20));
  int bad_tails = 0;
  std::vector<std::string> lines =
      itest::ReadSegmentLines(host.data_dir() + "/log-aggregator/segments", nullptr, &bad_tails);
  std::set<uint64_t> seqs;
  for (const std::string& l : lines) seqs.insert(std::stoull(l.substr(l.find("seq=") + 4)));
  CHECK(bad_tails == 0);
  CHECK(lines.size() == kN);  // No line twice...
  CHECK(seqs.size() == kN);   // ...and none missing.
  stats = itest::Call(host, "Stats", "{}");
  CHECK(stats.U("kernelDrops") == 0);
  CHECK(stats.U("lostOnCrash") == 0);
}
