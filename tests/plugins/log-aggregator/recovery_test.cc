#include "recovery.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "instance_state.h"
#include "segment_file.h"
#include "test_util.h"

namespace paddock::logagg {
namespace {

using testing::MakeRecord;
using testing::TempDir;

// In a child process: instance `id` writes `written` records to its segment, says it
// received `received`, leaves `torn` bytes of a half record, and dies without cleaning up.
void DieMidway(const std::string& data, uint64_t id, int written, int received, size_t torn) {
  pid_t pid = fork();
  if (pid == 0) {
    auto st = InstanceState::Create(data + "/instances", id);
    if (!st.ok()) _exit(1);
    auto seg = ActiveSegment::Create(data + "/segments", id, 1, 1000, 1);
    if (!seg.ok()) _exit(2);
    std::string all;
    for (int i = 1; i <= written; ++i)
      all += MakeRecord("<13>line " + std::to_string(i), i, 100 + i);
    iovec v{all.data(), all.size()};
    if (!all.empty() && !seg->Append(&v, 1, all.size()).ok()) _exit(3);
    std::string next = MakeRecord("<13>torn", static_cast<uint64_t>(written + 1), 999);
    int fd = open(seg->path().c_str(), O_WRONLY | O_APPEND);
    if (torn > 0 && write(fd, next.data(), torn) != static_cast<ssize_t>(torn)) _exit(4);
    st->SetReceived(static_cast<uint64_t>(received));
    _exit(0);  // Like kill -9: no seal, no state removal.
  }
  int status = 0;
  waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
}

}  // namespace

TEST_CASE("Recovery truncates a torn tail, seals, and counts what a dead instance lost",
          "[recovery]") {
  TempDir dir;
  REQUIRE(Recover(dir.path(), 1).ok());  // Creates the directories.
  DieMidway(dir.path(), 0xdead, 10, 15, 30);
  auto report = Recover(dir.path(), 2);
  REQUIRE(report.ok());
  REQUIRE(report->instances == 1);
  REQUIRE(report->segments_sealed == 1);
  REQUIRE(report->lost == 5);
  REQUIRE(report->torn_bytes == 30);
  REQUIRE(report->ledger_lost == 5);
  REQUIRE(report->ledger_torn_bytes == 30);
  std::string seg = dir.path() + "/segments/" + SegmentFileName(0xdead, 1);
  auto scan = ScanSegment(seg);
  REQUIRE(scan.ok());
  REQUIRE(scan->index.records == 10);
  REQUIRE(scan->valid_bytes == scan->file_bytes);
  REQUIRE(std::filesystem::exists(seg + ".idx"));
  REQUIRE_FALSE(std::filesystem::exists(dir.path() + "/instances/inst-000000000000dead.state"));

  // A second start finds nothing new; the ledger keeps the totals.
  auto again = Recover(dir.path(), 3);
  REQUIRE(again.ok());
  REQUIRE(again->instances == 0);
  REQUIRE(again->lost == 0);
  REQUIRE(again->ledger_lost == 5);
  uint64_t lost, torn;
  ReadLedger(dir.path(), &lost, &torn);
  REQUIRE(lost == 5);
  REQUIRE(torn == 30);
}

TEST_CASE("Recovery leaves live instances alone", "[recovery]") {
  TempDir dir;
  REQUIRE(Recover(dir.path(), 1).ok());
  // A live instance (this process holds its lock) with an unsealed segment being written.
  auto live = InstanceState::Create(dir.path() + "/instances", 0xa11e);
  REQUIRE(live.ok());
  auto seg = ActiveSegment::Create(dir.path() + "/segments", 0xa11e, 1, 1000, 1);
  REQUIRE(seg.ok());
  std::string rec = MakeRecord("<13>x", 1, 5);
  int fd = open(seg->path().c_str(), O_WRONLY | O_APPEND);
  REQUIRE(write(fd, rec.data(), 20) == 20);  // A write in progress.
  close(fd);
  auto report = Recover(dir.path(), 2);
  REQUIRE(report.ok());
  REQUIRE(report->instances == 0);
  REQUIRE(report->segments_sealed == 0);
  REQUIRE(std::filesystem::file_size(seg->path()) == kSegmentHeaderBytes + 20);
  REQUIRE_FALSE(std::filesystem::exists(seg->path() + ".idx"));
}

TEST_CASE("A clean instance leaves nothing to recover", "[recovery]") {
  TempDir dir;
  REQUIRE(Recover(dir.path(), 1).ok());
  auto st = InstanceState::Create(dir.path() + "/instances", 0xc1ea);
  REQUIRE(st.ok());
  st->SetReceived(3);
  st->Remove();
  auto report = Recover(dir.path(), 2);
  REQUIRE(report->instances == 0);
  REQUIRE(report->ledger_lost == 0);
}

TEST_CASE("A segment without even a header is removed", "[recovery]") {
  TempDir dir;
  REQUIRE(Recover(dir.path(), 1).ok());
  std::string path = dir.path() + "/segments/" + SegmentFileName(0xbad, 1);
  std::ofstream(path) << "x";
  auto report = Recover(dir.path(), 2);
  REQUIRE(report.ok());
  REQUIRE_FALSE(std::filesystem::exists(path));
}

}  // namespace paddock::logagg
