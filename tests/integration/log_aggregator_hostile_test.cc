// log-aggregator, confined under the real paddockd, against hostile senders: 10,000 idle
// TCP connections (the sandbox allows 1024 descriptors), a TCP sender declaring a 2 GB
// frame, one stalling mid-frame, and datagrams that are empty, 64 KiB, full of NULs and
// invalid UTF-8, with absurd PRI values or header fields at their limits. The plugin keeps
// serving, never restarts, trips no seccomp rule, and an honest sender still gets through.
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "integration/harness.h"
#include "plugins/log-aggregator/integration_util.h"

using paddock::testing::BundledPlugin;
using paddock::testing::Host;
using paddock::testing::WaitFor;
namespace itest = paddock::logagg::itest;
namespace v1 = paddock::v1;

TEST_CASE("Hostile TCP and UDP senders do not hurt log-aggregator", "[log-aggregator][hostile]") {
  // Room for 10,000 client sockets in this test process.
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  rlimit want{20000, std::max<rlim_t>(lim.rlim_max, 20000)};
  int conns_wanted = 10000;
  if (setrlimit(RLIMIT_NOFILE, &want) != 0) {
    conns_wanted = static_cast<int>(lim.rlim_cur) - 100;
    WARN("RLIMIT_NOFILE cannot be raised; using " << conns_wanted << " connections");
  }
  Host host(itest::PluginConfig("\"flushIntervalMs\": 20, \"tcpIdleTimeoutMs\": 60000"));
  host.AddPlugin(BundledPlugin("log-aggregator"), "log-aggregator");
  REQUIRE(host.Start());
  REQUIRE(host.WaitForState("log-aggregator", v1::STATE_SERVING, 15));
  itest::Json stats = itest::Call(host, "Stats", "{}");
  REQUIRE(stats.ok);
  const uint16_t udp = itest::PortOf(stats.S("udpAddress"));
  const uint16_t tcp = itest::PortOf(stats.S("tcpAddress"));

  // A 2 GB declared frame and a sender stalled in the middle of a frame.
  int evil = itest::TcpConnectTo(tcp);
  REQUIRE(evil >= 0);
  std::string huge = "2147483648 " + std::string(4096, 'x');
  REQUIRE(send(evil, huge.data(), huge.size(), MSG_NOSIGNAL) > 0);
  int stall = itest::TcpConnectTo(tcp);
  REQUIRE(stall >= 0);
  std::string partial = "65000 " + std::string(30000, 's');
  REQUIRE(send(stall, partial.data(), partial.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(partial.size()));

  // 10,000 idle connections, opened one after another.
  std::vector<int> idle;
  idle.reserve(static_cast<size_t>(conns_wanted));
  for (int i = 0; i < conns_wanted; ++i) {
    int fd = itest::TcpConnectTo(tcp);
    if (fd < 0) break;
    idle.push_back(fd);
  }
  CHECK(static_cast<int>(idle.size()) == conns_wanted);
  REQUIRE(WaitFor(
      [&] {
        return itest::Call(host, "Stats", "{}").U("tcpAccepted") >=
               static_cast<uint64_t>(conns_wanted) + 2;
      },
      30));

  // Hostile datagrams.
  int tx = itest::UdpSocketTo(udp);
  std::vector<std::string> evil_dgrams = {
      "",
      std::string(65507, 'A'),
      std::string("<13>nul\0in\0side\0", 16),
      "<13>Mar 15 11:00:00 h app: bad utf8 \xff\xfe\xc3\x28\xed\xa0\x80",
      "<99999>absurd pri",
      "<2147483648>overflowing pri",
      "<13>1 2024-01-01T00:00:00Z " + std::string(255, 'h') + " " + std::string(48, 'a') + " " +
          std::string(128, 'p') + " " + std::string(32, 'm') + " [" + std::string(32, 'n') +
          " k=\"v\"] fields at their limits",
      "<13>1 2024-01-01T00:00:00Z " + std::string(256, 'h') + " a p m - host one too long",
  };
  for (const std::string& d : evil_dgrams) {
    REQUIRE(send(tx, d.data(), d.size(), 0) == static_cast<ssize_t>(d.size()));
  }
  close(tx);

  // An honest TCP sender still gets through.
  int honest = itest::TcpConnectTo(tcp);
  REQUIRE(honest >= 0);
  std::string ok = "<13>Mar 15 11:00:00 honest app: still served\n";
  REQUIRE(send(honest, ok.data(), ok.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(ok.size()));

  REQUIRE(WaitFor(
      [&] { return itest::Call(host, "Stats", "{}").U("written") == evil_dgrams.size() + 1; }, 15));
  stats = itest::Call(host, "Stats", "{}");
  CHECK(stats.U("tcpConnections") <= 512);
  CHECK(stats.U("tcpShed") + stats.U("tcpIdleClosed") >= static_cast<uint64_t>(conns_wanted) - 512);
  CHECK(stats.U("tcpFramingErrors") == 1);
  std::string err;
  auto honest_recs = itest::QueryAll(host, "{\"host\": \"honest\"}", &err);
  CHECK(honest_recs.size() == 1);
  itest::Json raw = itest::Call(host, "Query", "{\"includeRaw\": true, \"limit\": 100}");
  REQUIRE(raw.ok);
  CHECK(raw.Field("records")->list_value().values_size() ==
        static_cast<int>(evil_dgrams.size()) + 1);

  v1::PluginInfo info = host.Status("log-aggregator");
  CHECK(info.state() == v1::STATE_SERVING);
  CHECK(info.restarts() == 0);
  CHECK(info.confinement().violations_size() == 0);
  CHECK(info.confinement().oom_kills() == 0);
  for (int fd : idle) close(fd);
  close(evil);
  close(stall);
  close(honest);
}
