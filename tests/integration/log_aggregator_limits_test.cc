// log-aggregator's disk limits under the real paddockd: segments rotate by size and age,
// retention keeps the total within its limit (dropping the oldest), and a full disk (a
// 2 MiB tmpfs over the host's data dir) is reported in Stats while the plugin keeps
// serving.
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <set>
#include <string>
#include <thread>

#include "integration/harness.h"
#include "plugins/log-aggregator/integration_util.h"

using paddock::testing::BundledPlugin;
using paddock::testing::Host;
using paddock::testing::WaitFor;
namespace itest = paddock::logagg::itest;
namespace v1 = paddock::v1;
namespace fs = std::filesystem;

namespace {

std::string Line(uint64_t i) {
  return "<13>Mar 15 11:00:00 gen app: seq=" + std::to_string(i) + " " + std::string(250, 'r');
}

struct DiskUse {
  uint64_t total = 0, largest = 0;
  int files = 0;
};

DiskUse SegmentsOnDisk(const std::string& dir) {
  DiskUse u;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".log") continue;
    // Retention may delete a segment between listing and stat: skip it then.
    std::error_code ec;
    uint64_t size = e.file_size(ec);
    if (ec) continue;
    u.total += size;
    u.largest = std::max(u.largest, size);
    ++u.files;
  }
  return u;
}

}  // namespace

TEST_CASE("Rotation by size and retention by total size hold their limits",
          "[log-aggregator][limits]") {
  Host host(itest::PluginConfig(
      "\"flushIntervalMs\": 20, \"segmentMaxBytes\": 65536, \"retentionMaxBytes\": 262144"));
  host.AddPlugin(BundledPlugin("log-aggregator"), "log-aggregator");
  REQUIRE(host.Start());
  REQUIRE(host.WaitForState("log-aggregator", v1::STATE_SERVING, 15));
  itest::Json stats = itest::Call(host, "Stats", "{}");
  REQUIRE(stats.ok);
  const std::string dir = host.data_dir() + "/log-aggregator/segments";
  int tx = itest::UdpSocketTo(itest::PortOf(stats.S("udpAddress")));
  constexpr uint64_t kN = 12000;  // ~ 4 MB of records.
  uint64_t worst_total = 0, worst_file = 0;
  for (uint64_t from = 0; from < kN; from += 1000) {
    itest::SendPaced(tx, from, from + 1000, 20000, Line);
    DiskUse u = SegmentsOnDisk(dir);
    worst_total = std::max(worst_total, u.total);
    worst_file = std::max(worst_file, u.largest);
  }
  close(tx);
  REQUIRE(WaitFor([&] { return itest::Call(host, "Stats", "{}").U("written") == kN; }, 20));
  stats = itest::Call(host, "Stats", "{}");
  DiskUse u = SegmentsOnDisk(dir);
  CHECK(u.total <= 262144);
  CHECK(worst_total <= 262144);
  CHECK(worst_file <= 65536 + 64 + 400);  // At most one record past the limit.
  CHECK(stats.U("segmentsRotated") >= 50);
  CHECK(stats.U("segmentsDeleted") >= 45);
  CHECK(stats.U("diskBytes") == u.total);
  // The newest lines are kept, contiguously.
  std::vector<std::string> lines = itest::ReadSegmentLines(dir);
  std::set<uint64_t> seqs;
  for (const std::string& l : lines) seqs.insert(std::stoull(l.substr(l.find("seq=") + 4)));
  REQUIRE(!seqs.empty());
  CHECK(*seqs.rbegin() == kN - 1);
  CHECK(*seqs.rbegin() - *seqs.begin() + 1 == seqs.size());
  std::string err;
  CHECK(itest::QueryAll(host, "{}", &err).size() == seqs.size());
}

TEST_CASE("Rotation and retention by age", "[log-aggregator][limits]") {
  Host host(itest::PluginConfig(
      "\"flushIntervalMs\": 20, \"segmentMaxAgeS\": 1, \"retentionMaxAgeS\": 2"));
  host.AddPlugin(BundledPlugin("log-aggregator"), "log-aggregator");
  REQUIRE(host.Start());
  REQUIRE(host.WaitForState("log-aggregator", v1::STATE_SERVING, 15));
  itest::Json stats = itest::Call(host, "Stats", "{}");
  int tx = itest::UdpSocketTo(itest::PortOf(stats.S("udpAddress")));
  itest::SendPaced(tx, 0, 10, 1000, Line);
  // Sealed by age after 1 s, deleted by age 2 s after its newest line.
  REQUIRE(WaitFor([&] { return itest::Call(host, "Stats", "{}").U("segmentsRotated") >= 1; }, 5));
  itest::SendPaced(tx, 10, 20, 1000, Line);
  REQUIRE(WaitFor([&] { return itest::Call(host, "Stats", "{}").U("segmentsDeleted") >= 1; }, 6));
  close(tx);
  std::vector<std::string> lines =
      itest::ReadSegmentLines(host.data_dir() + "/log-aggregator/segments");
  for (const std::string& l : lines) CHECK(std::stoull(l.substr(l.find("seq=") + 4)) >= 10);
}

TEST_CASE("A full disk is reported, not a crash", "[log-aggregator][limits]") {
  if (geteuid() != 0) {
    WARN("skipped: mounting a tmpfs needs root");
    return;
  }
  Host host(itest::PluginConfig("\"flushIntervalMs\": 20, \"segmentMaxBytes\": 262144"));
  host.AddPlugin(BundledPlugin("log-aggregator"), "log-aggregator");
  fs::create_directories(host.data_dir());
  REQUIRE(mount("tmpfs", host.data_dir().c_str(), "tmpfs", MS_NOSUID | MS_NODEV,
                "size=2m,mode=0755") == 0);
  struct Unmount {
    std::string path;
    ~Unmount() { umount2(path.c_str(), MNT_DETACH); }
  } unmount{host.data_dir()};
  REQUIRE(host.Start());
  REQUIRE(host.WaitForState("log-aggregator", v1::STATE_SERVING, 15));
  itest::Json stats = itest::Call(host, "Stats", "{}");
  int tx = itest::UdpSocketTo(itest::PortOf(stats.S("udpAddress")));
  constexpr uint64_t kN = 12000;  // ~ 4 MB into 2 MiB.
  // disk_full is the state of the last write: watch it while the disk is being filled (a
  // later small batch may still fit into what a failed write left).
  bool saw_full = false;
  for (uint64_t from = 0; from < kN; from += 500) {
    itest::SendPaced(tx, from, from + 500, 20000, Line);
    saw_full = saw_full || itest::Call(host, "Stats", "{}").B("diskFull");
  }
  close(tx);
  REQUIRE(WaitFor(
      [&] {
        itest::Json s = itest::Call(host, "Stats", "{}");
        return s.U("received") == kN && s.U("written") + s.U("writeDropped") == kN;
      },
      20));
  stats = itest::Call(host, "Stats", "{}");
  CHECK((saw_full || stats.B("diskFull")));
  CHECK(stats.U("writeDropped") > 0);
  CHECK(stats.U("written") > 1000);
  CHECK(stats.S("lastWriteError").find("No space left on device") != std::string::npos);
  v1::PluginInfo info = host.Status("log-aggregator");
  CHECK(info.state() == v1::STATE_SERVING);
  CHECK(info.restarts() == 0);
  // What was written is whole and queryable.
  int bad_tails = 0;
  std::vector<std::string> lines =
      itest::ReadSegmentLines(host.data_dir() + "/log-aggregator/segments", nullptr, &bad_tails);
  CHECK(bad_tails == 0);
  CHECK(lines.size() == stats.U("written"));
  std::string err;
  CHECK(itest::QueryAll(host, "{}", &err).size() == lines.size());
  CHECK(host.Ctl({"logs", "log-aggregator"}).out.find("cannot write segment") != std::string::npos);
  // Stop the host before the tmpfs goes away.
  host.Signal(SIGTERM);
  CHECK(host.Wait(10) == 0);
}
