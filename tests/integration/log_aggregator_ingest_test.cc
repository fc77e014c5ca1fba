// log-aggregator under the real paddockd, confined: every sequence-numbered line sent over
// UDP and TCP at a steady moderate rate is on disk and comes back from `paddockctl call
// log-aggregator Query` with its header fields parsed right.
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "integration/harness.h"
#include "plugins/log-aggregator/integration_util.h"

using paddock::testing::BundledPlugin;
using paddock::testing::Host;
using paddock::testing::WaitFor;
namespace itest = paddock::logagg::itest;
namespace v1 = paddock::v1;

namespace {

// Real-world shapes: RFC 3164 from sshd and nginx, RFC 5424 from the RFC's example 3 and
// logger(1). Each carries its sequence number at the end of MSG.
std::string Line(uint64_t i) {
  std::string seq = " seq=" + std::to_string(i);
  switch (i % 4) {
    case 0:
      return "<38>Mar 15 08:01:02 bastion sshd[4242]: Accepted publickey for alice from 10.0.0.5"
             " port 51234 ssh2" +
             seq;
    case 1:
      return "<190>Mar 15 13:07:01 web01 nginx: 127.0.0.1 - - [15/Mar/2024:13:07:01 +0000] "
             "\"GET / HTTP/1.1\" 200 612" +
             seq;
    case 2:
      return "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
             "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"] "
             "\xEF\xBB\xBF"
             "An application event log entry..." +
             seq;
    default:
      return "<13>1 2024-01-02T03:04:05.123456+00:00 build01 alice 4242 - [timeQuality "
             "tzKnown=\"1\" isSynced=\"1\"] deploy finished" +
             seq;
  }
}

uint64_t SeqOf(const std::string& message) {
  size_t p = message.rfind("seq=");
  return p == std::string::npos ? ~0ull : std::stoull(message.substr(p + 4));
}

}  // namespace

TEST_CASE("log-aggregator stores every UDP and TCP line and Query returns them parsed",
          "[log-aggregator]") {
  Host host(itest::PluginConfig("\"flushIntervalMs\": 50"));
  host.AddPlugin(BundledPlugin("log-aggregator"), "log-aggregator");
  REQUIRE(host.Start());
  REQUIRE(host.WaitForState("log-aggregator", v1::STATE_SERVING, 15));
  // Confined, with no policy violation.
  v1::PluginInfo info = host.Status("log-aggregator");
  REQUIRE(info.confinement().enabled());
  itest::Json stats = itest::Call(host, "Stats", "{}");
  INFO(stats.err);
  REQUIRE(stats.ok);
  uint16_t udp = itest::PortOf(stats.S("udpAddress"));
  uint16_t tcp = itest::PortOf(stats.S("tcpAddress"));
  REQUIRE(udp != 0);
  REQUIRE(tcp != 0);

  // 20,000 datagrams at 10,000/s, and 2,000 TCP frames (octet counting) alongside.
  constexpr uint64_t kUdp = 20000, kTcp = 2000;
  int tx = itest::UdpSocketTo(udp);
  std::thread tcp_sender([&] {
    int c = itest::TcpConnectTo(tcp);
    REQUIRE(c >= 0);
    for (uint64_t i = kUdp; i < kUdp + kTcp; ++i) {
      std::string l = Line(i);
      std::string frame = std::to_string(l.size()) + " " + l;
      REQUIRE(send(c, frame.data(), frame.size(), MSG_NOSIGNAL) ==
              static_cast<ssize_t>(frame.size()));
      if (i % 100 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    close(c);
  });
  itest::SendPaced(tx, 0, kUdp, 10000, Line);
  tcp_sender.join();
  close(tx);

  REQUIRE(
      WaitFor([&] { return itest::Call(host, "Stats", "{}").U("written") >= kUdp + kTcp; }, 20));
  stats = itest::Call(host, "Stats", "{}");
  CHECK(stats.U("received") == kUdp + kTcp);
  CHECK(stats.U("written") == kUdp + kTcp);
  CHECK(stats.U("kernelDrops") == 0);
  CHECK(stats.U("parsedRfc3164") == (kUdp + kTcp) / 2);
  CHECK(stats.U("parsedRfc5424") == (kUdp + kTcp) / 2);
  CHECK(stats.U("raw") == 0);

  // On disk, read with an independent parser of the format.
  std::vector<std::string> disk =
      itest::ReadSegmentLines(host.data_dir() + "/log-aggregator/segments");
  std::set<uint64_t> on_disk;
  for (const std::string& l : disk) on_disk.insert(SeqOf(l));
  CHECK(disk.size() == kUdp + kTcp);
  CHECK(on_disk.size() == kUdp + kTcp);

  // Via Query, every record with its fields.
  std::string err;
  auto recs = itest::QueryAll(host, "{}", &err);
  INFO(err);
  REQUIRE(recs.size() == kUdp + kTcp);
  std::set<uint64_t> queried;
  for (const auto& r : recs) {
    uint64_t seq = SeqOf(itest::Str(r, "message"));
    REQUIRE(seq < kUdp + kTcp);
    queried.insert(seq);
    INFO(seq);
    REQUIRE(itest::Str(r, "transport") == (seq < kUdp ? "UDP" : "TCP"));
    switch (seq % 4) {
      case 0:
        REQUIRE(itest::Str(r, "format") == "RFC3164");
        REQUIRE(itest::Str(r, "hostname") == "bastion");
        REQUIRE(itest::Str(r, "appName") == "sshd");
        REQUIRE(itest::Str(r, "procid") == "4242");
        REQUIRE(itest::Str(r, "severity") == "INFO");
        break;
      case 1:
        REQUIRE(itest::Str(r, "format") == "RFC3164");
        REQUIRE(itest::Str(r, "hostname") == "web01");
        REQUIRE(itest::Str(r, "appName") == "nginx");
        REQUIRE(itest::Str(r, "severity") == "INFO");
        REQUIRE(r.fields().at("facility").number_value() == 23);
        break;
      case 2:
        REQUIRE(itest::Str(r, "format") == "RFC5424");
        REQUIRE(itest::Str(r, "hostname") == "mymachine.example.com");
        REQUIRE(itest::Str(r, "appName") == "evntslog");
        REQUIRE(itest::Str(r, "msgid") == "ID47");
        REQUIRE(itest::Str(r, "structuredData") ==
                "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"]");
        REQUIRE(itest::Str(r, "severity") == "NOTICE");
        REQUIRE(itest::Str(r, "time") == "2003-10-11T22:14:15.003Z");
        REQUIRE(itest::Str(r, "message").rfind("An application event log entry...", 0) == 0);
        break;
      default:
        REQUIRE(itest::Str(r, "format") == "RFC5424");
        REQUIRE(itest::Str(r, "hostname") == "build01");
        REQUIRE(itest::Str(r, "appName") == "alice");
        REQUIRE(itest::Str(r, "procid") == "4242");
        REQUIRE(itest::Str(r, "time") == "2024-01-02T03:04:05.123456Z");
        REQUIRE(itest::Str(r, "severity") == "NOTICE");
        break;
    }
  }
  REQUIRE(queried.size() == kUdp + kTcp);

  // Filters through paddockctl: app + severity + substring, and a time range on the
  // reported time.
  auto sshd = itest::QueryAll(host, "{\"app\": \"sshd\", \"maxSeverity\": \"INFO\"}", &err);
  CHECK(sshd.size() == (kUdp + kTcp) / 4);
  auto one = itest::QueryAll(host, "{\"substring\": \"seq=12345\"}", &err);
  REQUIRE(one.size() == 1);
  auto old =
      itest::QueryAll(host,
                      "{\"timeField\": \"REPORTED\", \"startTime\": \"2003-01-01T00:00:00Z\","
                      " \"endTime\": \"2004-01-01T00:00:00Z\"}",
                      &err);
  CHECK(old.size() == (kUdp + kTcp) / 4);
  // A bad request is a clear error, not a crash.
  auto bad = host.Ctl({"call", "log-aggregator", "Query", "{\"limit\": 99999}"});
  CHECK(bad.exit_code != 0);
  CHECK(bad.err.find("limit") != std::string::npos);
  CHECK(host.Status("log-aggregator").state() == v1::STATE_SERVING);
  CHECK(host.Status("log-aggregator").confinement().violations_size() == 0);
}
