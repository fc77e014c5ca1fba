#include "query.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "segment_file.h"
#include "test_util.h"

namespace paddock::logagg {
namespace {

namespace pb = paddock::logagg::v1;
using testing::MakeRecord;
using testing::TempDir;
using testing::Utc;

const int64_t kT0 = Utc(2024, 3, 15, 12, 0, 0);
constexpr int64_t kSec = 1'000'000'000;

// Writes sealed segments: segment s holds lines [s*per, (s+1)*per), line i received at
// kT0 + i seconds, from app "app<i%3>", severity i%8.
void WriteSegments(const std::string& dir, int segments, int per) {
  std::filesystem::create_directories(dir);
  for (int s = 0; s < segments; ++s) {
    auto seg = *ActiveSegment::Create(dir, 0x42, static_cast<uint64_t>(s + 1), kT0 + s, 1);
    for (int k = 0; k < per; ++k) {
      int i = s * per + k;
      std::string line = "<" + std::to_string(8 + i % 8) + ">Mar 15 12:00:00 host" +
                         std::to_string(i % 2) + " app" + std::to_string(i % 3) +
                         "[1]: n=" + std::to_string(i) + (i == 77 ? " needle" : "");
      std::string rec = MakeRecord(line, static_cast<uint64_t>(i + 1), kT0 + i * kSec);
      iovec v{rec.data(), rec.size()};
      REQUIRE(seg.Append(&v, 1, rec.size()).ok());
      RecordHeader h;
      std::memcpy(&h, rec.data(), sizeof(h));
      seg.index().Add(h, seg.size());
    }
    REQUIRE(seg.Seal(false).ok());
  }
}

std::vector<int> Run(SegmentCatalog& cat, const pb::Filter& f, ScanStats* stats = nullptr,
                     size_t limit = 100000) {
  auto filter = RecordFilter::FromProto(f);
  REQUIRE(filter.ok());
  REQUIRE(cat.Refresh().ok());
  Cursor c;
  std::vector<int> out;
  ScanStats st = Scan(cat.dir(), cat.Snapshot(), *filter, &c, INT64_MAX,
                      [&](const RecordHeader& h, const char*, uint64_t) {
                        out.push_back(static_cast<int>(h.sequence) - 1);
                        return out.size() < limit;
                      });
  if (stats) *stats = st;
  return out;
}

void SetTime(int64_t ns, google::protobuf::Timestamp* t) {
  t->set_seconds(ns / kSec);
  t->set_nanos(static_cast<int32_t>(ns % kSec));
}

}  // namespace

TEST_CASE("Filters by time, severity, app, host and substring", "[query]") {
  TempDir dir;
  WriteSegments(dir.path(), 10, 100);
  SegmentCatalog cat(dir.path(), 1);
  pb::Filter f;
  REQUIRE(Run(cat, f).size() == 1000);

  SetTime(kT0 + 250 * kSec, f.mutable_start_time());
  SetTime(kT0 + 260 * kSec, f.mutable_end_time());
  ScanStats st;
  std::vector<int> got = Run(cat, f, &st);
  REQUIRE(got == std::vector<int>{250, 251, 252, 253, 254, 255, 256, 257, 258, 259});
  REQUIRE(st.skipped_segments == 9);  // Only segment 2 can match.
  REQUIRE(st.scanned_segments == 1);

  pb::Filter sev;
  sev.set_max_severity(pb::ALERT);  // Syslog severities 0 and 1.
  for (int i : Run(cat, sev)) REQUIRE(i % 8 <= 1);
  REQUIRE(Run(cat, sev).size() == 250);

  pb::Filter app;
  app.set_app("app2");
  app.set_host("host1");
  std::vector<int> a = Run(cat, app);
  REQUIRE(a.size() == 166);
  for (int i : a) REQUIRE((i % 3 == 2 && i % 2 == 1));

  pb::Filter sub;
  sub.set_substring("needle");
  REQUIRE(Run(cat, sub) == std::vector<int>{77});

  pb::Filter none;
  none.set_app("app");  // Exact match only.
  REQUIRE(Run(cat, none).empty());
}

TEST_CASE("Filter validation", "[query]") {
  pb::Filter f;
  SetTime(kT0, f.mutable_start_time());
  SetTime(kT0 - kSec, f.mutable_end_time());
  REQUIRE_FALSE(RecordFilter::FromProto(f).ok());
  pb::Filter g;
  g.set_max_severity(static_cast<pb::Severity>(42));
  REQUIRE_FALSE(RecordFilter::FromProto(g).ok());
}

TEST_CASE("Paging with cursors visits every record once", "[query]") {
  TempDir dir;
  WriteSegments(dir.path(), 5, 100);
  SegmentCatalog cat(dir.path(), 1);
  REQUIRE(cat.Refresh().ok());
  auto filter = *RecordFilter::FromProto(pb::Filter());
  std::vector<int> all;
  std::string token;
  int pages = 0;
  for (;;) {
    Cursor c = *Cursor::Decode(token);
    int n = 0;
    ScanStats st = Scan(cat.dir(), cat.Snapshot(), filter, &c, INT64_MAX,
                        [&](const RecordHeader& h, const char*, uint64_t) {
                          all.push_back(static_cast<int>(h.sequence) - 1);
                          return ++n < 37;
                        });
    ++pages;
    if (st.at_end) break;
    token = c.Encode();
    REQUIRE(!token.empty());
  }
  REQUIRE(all.size() == 500);
  for (int i = 0; i < 500; ++i) REQUIRE(all[static_cast<size_t>(i)] == i);
  REQUIRE(pages == 14);
  REQUIRE_FALSE(Cursor::Decode("garbage").ok());
  REQUIRE_FALSE(Cursor::Decode("v1:1:seg-x:3").ok());
}

TEST_CASE("A cursor into a segment deleted meanwhile continues with the next", "[query]") {
  TempDir dir;
  WriteSegments(dir.path(), 3, 10);
  SegmentCatalog cat(dir.path(), 1);
  REQUIRE(cat.Refresh().ok());
  auto segs = cat.Snapshot();
  Cursor c;
  c.segment = segs[0].name;
  c.created_ns = segs[0].created_ns;
  c.offset = segs[0].file_bytes / 2;  // Mid-segment; not even a record boundary after delete.
  std::filesystem::remove(dir.path() + "/" + segs[0].name);
  REQUIRE(cat.Refresh().ok());
  std::vector<int> got;
  Scan(cat.dir(), cat.Snapshot(), *RecordFilter::FromProto(pb::Filter()), &c, INT64_MAX,
       [&](const RecordHeader& h, const char*, uint64_t) {
         got.push_back(static_cast<int>(h.sequence) - 1);
         return true;
       });
  REQUIRE(got.size() == 20);
  REQUIRE(got.front() == 10);
}

TEST_CASE("A scan out of budget returns a cursor that resumes exactly", "[query]") {
  TempDir dir;
  WriteSegments(dir.path(), 2, 5000);
  SegmentCatalog cat(dir.path(), 1);
  REQUIRE(cat.Refresh().ok());
  Cursor c;
  std::vector<int> got;
  auto sink = [&](const RecordHeader& h, const char*, uint64_t) {
    got.push_back(static_cast<int>(h.sequence) - 1);
    return true;
  };
  auto filter = *RecordFilter::FromProto(pb::Filter());
  ScanStats st = Scan(cat.dir(), cat.Snapshot(), filter, &c, 0, sink);  // Deadline passed.
  REQUIRE(st.budget_exhausted);
  REQUIRE_FALSE(st.at_end);
  REQUIRE(got.size() == 1023);
  while (!Scan(cat.dir(), cat.Snapshot(), filter, &c, INT64_MAX, sink).at_end) {
  }
  REQUIRE(got.size() == 10000);
  for (int i = 0; i < 10000; ++i) REQUIRE(got[static_cast<size_t>(i)] == i);
}

TEST_CASE("ToProto fills every field and sanitises bytes", "[query]") {
  std::string line =
      "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog 12 ID47 [ex@1 a=\"b\"] ";
  line += std::string("bad\xff\x00utf8", 9);
  std::string rec = MakeRecord(line, 9, kT0, kFlagTcp);
  RecordHeader h;
  REQUIRE(CheckRecord(rec.data(), rec.size(), &h) == RecordCheck::kOk);
  pb::LogRecord r;
  ToProto(h, rec.data() + kRecordHeaderBytes, 0xab, true, &r);
  REQUIRE(r.format() == pb::RFC5424);
  REQUIRE(r.severity() == pb::NOTICE);
  REQUIRE(r.facility() == 20);
  REQUIRE(r.has_pri());
  REQUIRE(r.hostname() == "mymachine.example.com");
  REQUIRE(r.app_name() == "evntslog");
  REQUIRE(r.procid() == "12");
  REQUIRE(r.msgid() == "ID47");
  REQUIRE(r.structured_data() == "[ex@1 a=\"b\"]");
  REQUIRE(r.message() == "bad\xEF\xBF\xBD\xE2\x90\x80utf8");
  REQUIRE(r.invalid_utf8());
  REQUIRE(r.raw() == line);
  REQUIRE(r.transport() == pb::TCP);
  REQUIRE(r.sequence() == 9);
  REQUIRE(r.instance() == "00000000000000ab");
  REQUIRE(r.time().seconds() == Utc(2003, 10, 11, 22, 14, 15) / kSec);
  REQUIRE(r.time().nanos() == 3'000'000);
  REQUIRE(r.receive_time().seconds() == kT0 / kSec);
}

}  // namespace paddock::logagg
