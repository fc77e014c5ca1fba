#include "segment_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "test_util.h"

namespace paddock::logagg {
namespace {

using testing::MakeRecord;
using testing::TempDir;

absl::Status AppendRecords(ActiveSegment& seg, const std::vector<std::string>& recs) {
  std::vector<iovec> iov;
  size_t bytes = 0;
  for (const std::string& r : recs) {
    iov.push_back(iovec{const_cast<char*>(r.data()), r.size()});
    bytes += r.size();
  }
  uint64_t off = seg.size();
  absl::Status st = seg.Append(iov.data(), static_cast<int>(iov.size()), bytes).status();
  if (st.ok()) {
    for (const std::string& r : recs) {
      off += r.size();
      RecordHeader h;
      std::memcpy(&h, r.data(), sizeof(h));
      seg.index().Add(h, off);
    }
  }
  return st;
}

uint64_t FileSize(const std::string& path) {
  struct stat st {};
  stat(path.c_str(), &st);
  return static_cast<uint64_t>(st.st_size);
}

}  // namespace

TEST_CASE("Records appended to a segment read back in order", "[segment]") {
  TempDir dir;
  auto seg = ActiveSegment::Create(dir.path(), 0x1234, 1, 1000, 1);
  REQUIRE(seg.ok());
  REQUIRE(seg->name() == "seg-0000000000001234-00000001.log");
  std::vector<std::string> recs;
  for (int i = 1; i <= 3000; ++i) {
    std::string line = "<13>Mar 15 11:00:00 host app[" + std::to_string(i) + "]: message " +
                       std::string(static_cast<size_t>(i % 300), 'x');
    recs.push_back(MakeRecord(line, static_cast<uint64_t>(i), 5000 + i));
  }
  // In batches (one pwritev each).
  for (size_t i = 0; i < recs.size(); i += 700) {
    std::vector<std::string> batch(
        recs.begin() + static_cast<long>(i),
        recs.begin() + static_cast<long>(std::min(recs.size(), i + 700)));
    REQUIRE(AppendRecords(*seg, batch).ok());
  }
  REQUIRE(seg->index().records == 3000);
  REQUIRE(seg->index().first_sequence == 1);
  REQUIRE(seg->index().last_sequence == 3000);
  REQUIRE(seg->index().min_recv_ns == 5001);
  REQUIRE(seg->index().max_recv_ns == 8000);
  REQUIRE(seg->index().rfc3164 == 3000);
  REQUIRE(seg->Seal(true).ok());

  auto r = SegmentReader::Open(seg->path());
  REQUIRE(r.ok());
  REQUIRE(r->header().instance == 0x1234);
  RecordHeader h;
  const char* line;
  uint64_t n = 0;
  while (r->Next(&h, &line)) {
    ++n;
    REQUIRE(h.sequence == n);
    REQUIRE(std::string(line, h.length) == recs[n - 1].substr(kRecordHeaderBytes));
  }
  REQUIRE(n == 3000);
  REQUIRE(r->stop_reason() == RecordCheck::kTruncated);
  REQUIRE(r->position() == FileSize(seg->path()));

  auto scan = ScanSegment(seg->path());
  REQUIRE(scan.ok());
  REQUIRE(scan->index.records == 3000);
  REQUIRE(scan->valid_bytes == scan->file_bytes);
}

TEST_CASE("A reader stops at a torn tail and continues when the writer finishes", "[segment]") {
  TempDir dir;
  auto seg = *ActiveSegment::Create(dir.path(), 1, 1, 0, 1);
  std::string a = MakeRecord("<13>first", 1, 10), b = MakeRecord("<13>second", 2, 11);
  REQUIRE(AppendRecords(seg, {a}).ok());
  // Half of b appears (a concurrent write in progress, or a torn tail after a crash).
  int fd = open(seg.path().c_str(), O_WRONLY | O_APPEND);
  REQUIRE(write(fd, b.data(), b.size() / 2) == static_cast<ssize_t>(b.size() / 2));
  auto r = *SegmentReader::Open(seg.path());
  RecordHeader h;
  const char* line;
  REQUIRE(r.Next(&h, &line));
  REQUIRE_FALSE(r.Next(&h, &line));
  REQUIRE(r.stop_reason() == RecordCheck::kTruncated);
  auto scan = *ScanSegment(seg.path());
  REQUIRE(scan.valid_bytes == kSegmentHeaderBytes + a.size());
  REQUIRE(scan.file_bytes == scan.valid_bytes + b.size() / 2);
  // The rest arrives: the same reader continues from where it stopped.
  REQUIRE(write(fd, b.data() + b.size() / 2, b.size() - b.size() / 2) ==
          static_cast<ssize_t>(b.size() - b.size() / 2));
  close(fd);
  REQUIRE(r.Next(&h, &line));
  REQUIRE(h.sequence == 2);
}

TEST_CASE("Garbage after valid records is detected, not read", "[segment]") {
  TempDir dir;
  auto seg = *ActiveSegment::Create(dir.path(), 1, 1, 0, 1);
  REQUIRE(AppendRecords(seg, {MakeRecord("<13>ok", 1, 10)}).ok());
  int fd = open(seg.path().c_str(), O_WRONLY | O_APPEND);
  std::string junk(500, '\x5a');
  REQUIRE(write(fd, junk.data(), junk.size()) == 500);
  close(fd);
  auto r = *SegmentReader::Open(seg.path());
  RecordHeader h;
  const char* line;
  REQUIRE(r.Next(&h, &line));
  REQUIRE_FALSE(r.Next(&h, &line));
  REQUIRE(r.stop_reason() == RecordCheck::kBadMagic);
}

TEST_CASE("Not a segment", "[segment]") {
  TempDir dir;
  std::string path = dir.path() + "/seg-0000000000000001-00000001.log";
  int fd = open(path.c_str(), O_WRONLY | O_CREAT, 0600);
  REQUIRE(write(fd, "hello", 5) == 5);
  close(fd);
  REQUIRE(absl::IsDataLoss(SegmentReader::Open(path).status()));
  REQUIRE(absl::IsNotFound(SegmentReader::Open(dir.path() + "/nope").status()));
}

TEST_CASE("Segment index survives encoding and rejects damage", "[segment]") {
  SegmentIndex idx;
  idx.instance = 9;
  idx.number = 4;
  RecordHeader h{};
  h.sequence = 5;
  h.recv_ns = 100;
  h.time_ns = 50;
  h.flags = kFlagHasPri;
  h.severity = 3;
  idx.Add(h, 200);
  std::string bytes = EncodeIndex(idx);
  auto back = DecodeIndex(bytes);
  REQUIRE(back.ok());
  REQUIRE(back->records == 1);
  REQUIRE(back->severity_mask == (1u << 3));
  REQUIRE(back->file_bytes == 200);
  bytes[20] ^= 1;
  REQUIRE_FALSE(DecodeIndex(bytes).ok());
  REQUIRE_FALSE(DecodeIndex("short").ok());
}

TEST_CASE("A page-cache append of more records than IOV_MAX writes them all", "[segment]") {
  // The writer hands an O_DIRECT segment up to 8192 records at once; when the device refuses
  // the alignment that batch goes on through pwritev, at most 1024 vectors per call.
  TempDir dir;
  auto seg = ActiveSegment::Create(dir.path(), 0x99, 1, 1000, 1, /*direct=*/false);
  REQUIRE(seg.ok());
  REQUIRE(!seg->direct());
  std::vector<std::string> recs;
  for (int i = 1; i <= 3000; ++i) {
    recs.push_back(MakeRecord("<13>Mar 15 11:00:00 host app: line " + std::to_string(i),
                              static_cast<uint64_t>(i), 5000 + i));
  }
  REQUIRE(AppendRecords(*seg, recs).ok());
  REQUIRE(seg->index().records == 3000);
  REQUIRE(seg->Seal(true).ok());
  auto scan = ScanSegment(seg->path());
  REQUIRE(scan.ok());
  REQUIRE(scan->index.records == 3000);
  REQUIRE(scan->valid_bytes == scan->file_bytes);
}

}  // namespace paddock::logagg
