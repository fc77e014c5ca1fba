#include "segment_writer.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <thread>

#include "record_builder.h"
#include "segment_catalog.h"
#include "test_util.h"

namespace paddock::logagg {
namespace {

using testing::TempDir;

struct Fixture {
  explicit Fixture(Settings s = Settings()) {
    s.ring_slots = 4096;
    s.large_ring_bytes = 1 << 20;
    settings.Store(std::make_shared<const Settings>(s));
    std::filesystem::create_directories(dir.path() + "/segments");
    ring = *Ring::Create(s.ring_slots, s.slot_bytes, s.large_ring_bytes);
    catalog = std::make_unique<SegmentCatalog>(dir.path() + "/segments", 7);
    writer = std::make_unique<SegmentWriter>(*ring, *catalog, stats, 7, settings);
    builder = std::make_unique<RecordBuilder>(*ring, stats, 65535);
  }
  // Commits `n` lines of about `size` bytes; waits for ring room when needed.
  void Produce(int n, size_t size = 200) {
    builder->BeginBatch(testing::NowNs());
    for (int i = 0; i < n; ++i) {
      while (ring->FreeSlots() == 0) {
        writer->Wake(true);
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      std::string line = "<13>Mar 15 11:00:00 host app: line " + std::to_string(counter++);
      if (line.size() < size) line.append(size - line.size(), 'x');
      REQUIRE(builder->CommitCopy(0, line.data(), line.size(), nullptr, 0, 0));
      ring->Publish(1);
    }
    writer->Wake(false);
  }
  std::vector<SegmentEntry> Segments() {
    REQUIRE(catalog->Refresh().ok());
    return catalog->Snapshot();
  }

  TempDir dir;
  Stats stats;
  AtomicSnapshot<Settings> settings;
  std::unique_ptr<Ring> ring;
  std::unique_ptr<SegmentCatalog> catalog;
  std::unique_ptr<SegmentWriter> writer;
  std::unique_ptr<RecordBuilder> builder;
  int counter = 0;
};

}  // namespace

TEST_CASE("Writer writes everything within the flush interval", "[writer]") {
  Settings s;
  s.flush_interval_ns = 50'000'000;
  Fixture f(s);
  f.writer->Start();
  f.Produce(10);
  // Well below flush_bytes: only the interval makes it write.
  REQUIRE(testing::NowNs() > 0);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (Get(f.stats.written) < 10 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(Get(f.stats.written) == 10);
  f.writer->Stop();
  auto segs = f.Segments();
  REQUIRE(segs.size() == 1);
  REQUIRE(segs[0].has_index);  // Sealed with its .idx on Stop.
  REQUIRE(segs[0].index.records == 10);
  REQUIRE(std::filesystem::exists(f.dir.path() + "/segments/" + segs[0].name + ".idx"));
}

TEST_CASE("Flush returns once everything published is written", "[writer]") {
  Settings s;
  s.flush_interval_ns = 10'000'000'000;  // Never by time in this test.
  Fixture f(s);
  f.writer->Start();
  f.Produce(5000);
  REQUIRE(f.writer->Flush(std::chrono::seconds(5)));
  REQUIRE(Get(f.stats.written) == 5000);
  REQUIRE(f.writer->released() == 5000);
}

TEST_CASE("With O_DIRECT a write for flush_bytes leaves the partial block to the interval",
          "[writer]") {
  Settings s;
  s.flush_interval_ns = 2'000'000'000;
  Fixture f(s);
  f.writer->Start();
  f.Produce(100, 264);  // 328-byte records: 32,864 bytes with the segment header.
  const auto started = std::chrono::steady_clock::now();
  f.writer->Wake(true);  // As the receiver does once flush_bytes are waiting.
  while (Get(f.stats.written) == 0 &&
         std::chrono::steady_clock::now() - started < std::chrono::seconds(1)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (!f.stats.direct_io.load()) {
    WARN("skipped: the temp dir's filesystem does no O_DIRECT");
    return;
  }
  // Only the records before the last whole block; the file is whole blocks of them.
  REQUIRE(std::chrono::steady_clock::now() - started < std::chrono::milliseconds(1500));
  CHECK(Get(f.stats.written) == (8 * 4096 - 64) / 328);
  auto segs = f.Segments();
  REQUIRE(segs.size() == 1);
  const std::string path = f.dir.path() + "/segments/" + segs[0].name;
  CHECK(std::filesystem::file_size(path) == 8 * 4096);
  CHECK(segs[0].file_bytes == 64 + (8 * 4096 - 64) / 328 * 328);  // Its whole records.
  // The rest keeps its flush clock: written within the interval, with no further wake-up.
  while (Get(f.stats.written) < 100 &&
         std::chrono::steady_clock::now() - started < std::chrono::seconds(6)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(Get(f.stats.written) == 100);
  REQUIRE(f.writer->released() == 100);
  REQUIRE(std::filesystem::file_size(path) == 64 + 100 * 328);
}

TEST_CASE("The receiver's pump stages batches and writes once flush_bytes are staged", "[writer]") {
  Settings s;
  s.flush_interval_ns = 10'000'000'000;  // Never by time in this test.
  s.flush_bytes = 64 << 10;
  Fixture f(s);         // No writer thread: the test thread is the receiver.
  f.Produce(100, 264);  // 328-byte records: 32,864 bytes with the segment header.
  if (!f.writer->Pump()) FAIL("Pump did nothing with direct_io on");
  if (!f.stats.direct_io.load()) {
    WARN("skipped: the temp dir's filesystem does no O_DIRECT");
    return;
  }
  // Staged, below flush_bytes: nothing written, nothing left the ring.
  CHECK(Get(f.stats.written) == 0);
  CHECK(f.ring->Available() == 100);
  auto segs = f.Segments();
  REQUIRE(segs.size() == 1);
  const std::string path = f.dir.path() + "/segments/" + segs[0].name;
  CHECK(std::filesystem::file_size(path) == 64);
  f.Produce(200, 264);  // 98,464 bytes: 24 whole blocks.
  REQUIRE(f.writer->Pump());
  const uint64_t whole = (24 * 4096 - 64) / 328;  // 299 records end by then.
  CHECK(Get(f.stats.written) == whole);
  CHECK(f.ring->Available() == 300 - whole);
  CHECK(std::filesystem::file_size(path) == 24 * 4096);
  // The writer thread writes the rest when asked; the file is every record, whole.
  f.writer->Start();
  REQUIRE(f.writer->Flush(std::chrono::seconds(5)));
  REQUIRE(Get(f.stats.written) == 300);
  f.writer->Stop();
  auto scan = ScanSegment(path);
  REQUIRE(scan.ok());
  REQUIRE(scan->index.records == 300);
  REQUIRE(scan->valid_bytes == scan->file_bytes);
  REQUIRE(scan->index.last_sequence == 300);
}

TEST_CASE("The pump leaves page-cache segments to the writer thread", "[writer]") {
  Settings s;
  s.direct_io = false;
  Fixture f(s);
  f.Produce(10);
  REQUIRE_FALSE(f.writer->Pump());
  CHECK(f.ring->Available() == 10);
}

TEST_CASE("Pump and writer thread together write every record once, in order", "[writer]") {
  Settings s;
  s.flush_interval_ns = 2'000'000;  // The writer thread competes all the time.
  s.flush_bytes = 16 << 10;
  s.segment_max_bytes = 256 << 10;  // Rotation on the pump's side and the writer's.
  Fixture f(s);
  f.writer->Start();
  for (int round = 0; round < 200; ++round) {
    f.Produce(37, 100 + static_cast<size_t>(round));
    f.writer->Pump();
  }
  REQUIRE(f.writer->Flush(std::chrono::seconds(5)));
  f.writer->Stop();
  REQUIRE(Get(f.stats.written) == 7400);
  REQUIRE(Get(f.stats.write_dropped) == 0);
  uint64_t next = 1;
  for (const SegmentEntry& e : f.Segments()) {
    auto r = SegmentReader::Open(f.dir.path() + "/segments/" + e.name);
    REQUIRE(r.ok());
    RecordHeader h;
    const char* line;
    while (r->Next(&h, &line)) REQUIRE(h.sequence == next++);
    REQUIRE(r->trailing_bytes() == 0);
  }
  REQUIRE(next == 7401);
}

TEST_CASE("Segments rotate by size and retention keeps the total bounded", "[writer]") {
  Settings s;
  s.segment_max_bytes = 64 << 10;
  s.retention_max_bytes = 256 << 10;
  Fixture f(s);
  f.writer->Start();
  for (int round = 0; round < 20; ++round) {
    f.Produce(200, 264);  // ~ 64 KiB of records per round.
    REQUIRE(f.writer->Flush(std::chrono::seconds(5)));
    uint64_t total = 0;
    for (const SegmentEntry& e : f.Segments()) {
      REQUIRE(e.file_bytes <= s.segment_max_bytes + 400);  // At most one record over.
      total += e.file_bytes;
    }
    REQUIRE(total <= s.retention_max_bytes);
  }
  REQUIRE(Get(f.stats.segments_rotated) >= 15);
  REQUIRE(Get(f.stats.segments_deleted) >= 10);
  REQUIRE(Get(f.stats.written) == 4000);
  // The newest lines are the ones kept.
  auto segs = f.Segments();
  REQUIRE(segs.back().index.last_sequence == 4000);
}

TEST_CASE("Segments rotate by age", "[writer]") {
  Settings s;
  s.segment_max_age_ns = 300'000'000;
  s.flush_interval_ns = 20'000'000;
  Fixture f(s);
  f.writer->Start();
  f.Produce(3);
  REQUIRE(f.writer->Flush(std::chrono::seconds(5)));
  std::this_thread::sleep_for(std::chrono::milliseconds(700));  // Sealed by the periodic check.
  f.Produce(3);
  REQUIRE(f.writer->Flush(std::chrono::seconds(5)));
  auto segs = f.Segments();
  REQUIRE(segs.size() == 2);
  REQUIRE(segs[0].index.records == 3);
  REQUIRE(segs[0].deletable);
  REQUIRE(segs[1].own_active);
}

TEST_CASE("Retention by age deletes old sealed segments only", "[writer]") {
  Settings s;
  s.retention_max_age_ns = 400'000'000;
  s.flush_interval_ns = 20'000'000;
  Fixture f(s);
  f.writer->Start();
  f.Produce(3);
  REQUIRE(f.writer->Flush(std::chrono::seconds(5)));
  std::this_thread::sleep_for(std::chrono::milliseconds(900));
  // The active segment is older than the limit but is never deleted.
  auto segs = f.Segments();
  REQUIRE(segs.size() == 1);
  REQUIRE(Get(f.stats.segments_deleted) == 0);
}

TEST_CASE("fsync policies call fsync", "[writer]") {
  Settings s;
  s.fsync = FsyncMode::kEveryWrite;
  Fixture f(s);
  f.writer->Start();
  f.Produce(10);
  REQUIRE(f.writer->Flush(std::chrono::seconds(5)));
  REQUIRE(Get(f.stats.fsyncs) >= 1);
}

TEST_CASE("A write error drops and counts the batch, keeps the segment whole", "[writer]") {
  // RLIMIT_FSIZE makes writes past 100 KiB fail with EFBIG (SIGXFSZ ignored), the same path
  // ENOSPC takes; run in a child so the limit does not leak into other tests.
  pid_t pid = fork();
  if (pid == 0) {
    signal(SIGXFSZ, SIG_IGN);
    rlimit lim{100 << 10, 100 << 10};
    setrlimit(RLIMIT_FSIZE, &lim);
    int code = 0;
    {
      Settings s;
      s.flush_interval_ns = 10'000'000;
      Fixture f(s);
      f.writer->Start();
      f.Produce(1000, 264);  // ~ 264 KiB: does not fit.
      f.writer->Flush(std::chrono::seconds(5));
      if (Get(f.stats.write_dropped) == 0) code |= 1;
      if (Get(f.stats.written) + Get(f.stats.write_dropped) != 1000) code |= 2;
      if (f.stats.last_write_error().find("File too large") == std::string::npos) code |= 4;
      f.writer->Stop();
      // What was written reads back whole.
      auto segs = f.Segments();
      uint64_t records = 0;
      for (const SegmentEntry& e : segs) {
        auto scan = ScanSegment(f.dir.path() + "/segments/" + e.name);
        if (!scan.ok() || scan->valid_bytes != scan->file_bytes) code |= 8;
        if (scan.ok()) records += scan->index.records;
      }
      if (records != Get(f.stats.written)) code |= 16;
    }
    _exit(code);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
}

}  // namespace paddock::logagg
