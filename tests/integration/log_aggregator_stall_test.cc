// log-aggregator under the real paddockd: a receiver that gets no CPU for a while (a loaded
// machine, a long scheduling delay) loses nothing as long as the host-held socket's queue
// holds what arrives meanwhile. The manifest asks for a 256 MiB receive buffer (the kernel
// doubles it for its own accounting: 512 MiB), which holds ~400,000 datagrams of 200 bytes
// (each costs ~1,280 bytes of buffer on loopback): more than a second at the sender's
// maximum rate of one core. With the former 64 MiB (~100,000 datagrams) this test fails.
//
// The stall is made deterministic with SIGSTOP on the plugin (every thread stops), the
// datagrams are sent while it is stopped, then SIGCONT: all of them must come out of the
// kernel queue, none dropped.
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "integration/harness.h"
#include "plugins/log-aggregator/integration_util.h"

using paddock::testing::BundledPlugin;
using paddock::testing::Host;
using paddock::testing::WaitFor;
namespace itest = paddock::logagg::itest;
namespace v1 = paddock::v1;

namespace {

// A 200-byte RFC 3164 line carrying `seq`.
std::string Line(uint64_t seq) {
  char head[96];
  int n = std::snprintf(head, sizeof(head), "<134>Nov 27 12:00:00 loadhost stall[77]: seq=%010llu ",
                        static_cast<unsigned long long>(seq));
  std::string l(head, static_cast<size_t>(n));
  l.resize(200, 'x');
  return l;
}

uint64_t SeqOf(const std::string& line) {
  size_t p = line.find("seq=");
  return p == std::string::npos ? ~0ull : std::stoull(line.substr(p + 4, 10));
}

// Sends lines [0, count) with sendmmsg in batches of 64; returns how many the kernel took.
uint64_t SendAll(int fd, uint64_t count) {
  constexpr unsigned kBatch = 64;
  std::vector<std::string> lines(kBatch);
  std::vector<iovec> iov(kBatch);
  std::vector<mmsghdr> msgs(kBatch);
  uint64_t sent = 0;
  while (sent < count) {
    unsigned n = static_cast<unsigned>(std::min<uint64_t>(kBatch, count - sent));
    for (unsigned i = 0; i < n; ++i) {
      lines[i] = Line(sent + i);
      iov[i] = iovec{lines[i].data(), lines[i].size()};
      msgs[i] = mmsghdr{};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int k = sendmmsg(fd, msgs.data(), n, 0);
    if (k <= 0) break;
    sent += static_cast<uint64_t>(k);
  }
  return sent;
}

}  // namespace

TEST_CASE("log-aggregator loses nothing while its receiver is stopped for 300,000 datagrams",
          "[log-aggregator]") {
  Host host(itest::PluginConfig("\"flushIntervalMs\": 50"));
  host.AddPlugin(BundledPlugin("log-aggregator"), "log-aggregator");
  REQUIRE(host.Start());
  REQUIRE(host.WaitForState("log-aggregator", v1::STATE_SERVING, 15));
  itest::Json stats = itest::Call(host, "Stats", "{}");
  INFO(stats.err);
  REQUIRE(stats.ok);
  uint16_t udp = itest::PortOf(stats.S("udpAddress"));
  REQUIRE(udp != 0);
  pid_t plugin = host.Status("log-aggregator").pid();
  REQUIRE(plugin > 0);

  constexpr uint64_t kLines = 300000;
  int tx = itest::UdpSocketTo(udp);
  REQUIRE(tx >= 0);
  // Stopped well inside the health policy's patience (3 failed probes, 2 s apart).
  REQUIRE(kill(plugin, SIGSTOP) == 0);
  uint64_t sent = SendAll(tx, kLines);
  REQUIRE(kill(plugin, SIGCONT) == 0);
  close(tx);
  REQUIRE(sent == kLines);

  // Done when every line is written or counted as dropped by the kernel.
  REQUIRE(WaitFor(
      [&] {
        itest::Json s = itest::Call(host, "Stats", "{}");
        return s.U("written") + s.U("kernelDrops") >= kLines;
      },
      30));
  stats = itest::Call(host, "Stats", "{}");
  CHECK(stats.U("kernelDrops") == 0);
  CHECK(stats.U("received") == kLines);
  CHECK(stats.U("written") == kLines);
  // The same instance served throughout (no restart hid a loss).
  CHECK(host.Status("log-aggregator").pid() == plugin);

  // Every line on disk, each sequence number once (independent reader of the format).
  std::vector<std::string> disk =
      itest::ReadSegmentLines(host.data_dir() + "/log-aggregator/segments");
  std::set<uint64_t> seqs;
  for (const std::string& l : disk) seqs.insert(SeqOf(l));
  CHECK(disk.size() == kLines);
  CHECK(seqs.size() == kLines);
  CHECK((seqs.empty() || *seqs.rbegin() == kLines - 1));
}
