#include "record.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <string>

#include "syslog_time.h"
#include "test_util.h"

namespace paddock::logagg {
namespace {

std::string Encoded(const std::string& line, uint64_t seq, RecordHeader* out = nullptr) {
  ParsedLine p;
  ParseClock clock{testing::Utc(2024, 3, 15, 0, 0, 0), 2024};
  ParseSyslog(line.data(), line.size(), clock, &p);
  RecordHeader h;
  EncodeRecord(p, line.data(), static_cast<uint32_t>(line.size()), seq, clock.recv_ns, kFlagTcp,
               &h);
  if (out) *out = h;
  std::string rec(reinterpret_cast<const char*>(&h), sizeof(h));
  return rec + line;
}

}  // namespace

TEST_CASE("A record round-trips and every damage is detected", "[record]") {
  std::string line = "<34>Oct 11 22:14:15 mymachine su: 'su root' failed";
  RecordHeader enc;
  std::string rec = Encoded(line, 7, &enc);
  RecordHeader h;
  REQUIRE(CheckRecord(rec.data(), rec.size(), &h) == RecordCheck::kOk);
  REQUIRE(h.sequence == 7);
  REQUIRE(h.length == line.size());
  REQUIRE((h.flags & kFlagTcp) != 0);
  REQUIRE((h.flags & kFlagHasPri) != 0);
  REQUIRE(h.format == static_cast<uint8_t>(LineFormat::kRfc3164));
  REQUIRE(std::string(rec.data() + kRecordHeaderBytes + h.app.off, h.app.len) == "su");

  // Short reads.
  for (size_t n = 0; n < rec.size(); ++n) {
    REQUIRE(CheckRecord(rec.data(), n, &h) == RecordCheck::kTruncated);
  }
  // Any flipped byte is caught (magic, length, CRC, or the CRC of the rest).
  for (size_t i = 0; i < rec.size(); ++i) {
    std::string bad = rec;
    bad[i] ^= 0x40;
    INFO(i);
    REQUIRE(CheckRecord(bad.data(), bad.size(), &h) != RecordCheck::kOk);
  }
}

TEST_CASE("Segment headers and file names", "[record]") {
  SegmentHeader h = MakeSegmentHeader(0xabcdef0123456789ull, 12, 1700000000000000000ll, 99);
  SegmentHeader back;
  REQUIRE(CheckSegmentHeader(reinterpret_cast<const char*>(&h), &back));
  REQUIRE(back.instance == 0xabcdef0123456789ull);
  REQUIRE(back.number == 12);
  REQUIRE(back.first_sequence == 99);
  h.number = 13;
  REQUIRE_FALSE(CheckSegmentHeader(reinterpret_cast<const char*>(&h), &back));

  std::string name = SegmentFileName(0xabcdef0123456789ull, 12);
  REQUIRE(name == "seg-abcdef0123456789-00000012.log");
  uint64_t inst = 0, num = 0;
  REQUIRE(ParseSegmentFileName(name, &inst, &num));
  REQUIRE(inst == 0xabcdef0123456789ull);
  REQUIRE(num == 12);
  for (const char* bad : {"seg-abcdef0123456789-00000012.log.idx",
                          "seg-ABCDEF0123456789-00000012.log", "seg-abcdef012345678-000000120.log",
                          "seg-abcdef0123456789-0000001x.log", "inst-abcdef0123456789.state", ""}) {
    INFO(bad);
    REQUIRE_FALSE(ParseSegmentFileName(bad, &inst, &num));
  }
}

}  // namespace paddock::logagg
