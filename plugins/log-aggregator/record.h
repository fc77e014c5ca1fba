// The on-disk format of segment files. A segment is a 64-byte file header followed by
// records; a record is a 64-byte header followed by the line exactly as received:
//
//   offset size field
//   0      4    magic      kRecordMagic
//   4      4    length     bytes of the line that follow the header (<= 65535)
//   8      4    crc        CRC-32C of header bytes [12, 64) and the line
//   12     1    format     LineFormat
//   13     1    flags      kFlag*
//   14     1    severity   0-7 (valid with kFlagHasPri)
//   15     1    facility   0-23 (valid with kFlagHasPri)
//   16     8    sequence   per instance, +1 per line, from 1
//   24     8    recv_ns    receive time, unix ns
//   32     8    time_ns    header time (== recv_ns without kFlagHasTime), unix ns
//   40     22   spans      host, app, procid, msgid, sd: (off u16, len u16); msg off u16
//   62     2    msg_len    u16
//
// Little-endian, written and read with memcpy (records are not aligned). A record is valid
// when its magic, length bound and CRC hold; the first invalid record ends a segment (a
// torn tail after a crash, or the part a concurrent writer has not finished).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "syslog_parser.h"

namespace paddock::logagg {

inline constexpr uint32_t kRecordMagic = 0x3152474cu;  // "LGR1"
inline constexpr size_t kRecordHeaderBytes = 64;
inline constexpr uint64_t kSegmentMagic = 0x3130474553474c50ull;  // "PLGSEG01"
inline constexpr size_t kSegmentHeaderBytes = 64;

// Record flags.
inline constexpr uint8_t kFlagHasPri = 1 << 0;
inline constexpr uint8_t kFlagHasTime = 1 << 1;
inline constexpr uint8_t kFlagTruncated = 1 << 2;
inline constexpr uint8_t kFlagTcp = 1 << 3;

// A record header in memory (the same 64 bytes as on disk on little-endian machines).
struct RecordHeader {
  uint32_t magic;
  uint32_t length;
  uint32_t crc;
  uint8_t format;
  uint8_t flags;
  uint8_t severity;
  uint8_t facility;
  uint64_t sequence;
  int64_t recv_ns;
  int64_t time_ns;
  Span host, app, procid, msgid, sd;
  uint16_t msg_off;
  uint16_t msg_len;
};
static_assert(sizeof(RecordHeader) == kRecordHeaderBytes, "record header layout");
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "segment format is little-endian");

// Fills `h` for a line of `length` bytes at `line` (already parsed into `p`), including
// its CRC. `flags` may carry kFlagTruncated / kFlagTcp; the parse flags are added here.
void EncodeRecord(const ParsedLine& p, const char* line, uint32_t length, uint64_t sequence,
                  int64_t recv_ns, uint8_t flags, RecordHeader* h);

// Why a record is not valid.
enum class RecordCheck { kOk, kTruncated, kBadMagic, kBadLength, kBadCrc, kBadSpans };

// Validates the record at `data[0, avail)`: header, length, CRC and that every span lies
// inside the line. On kOk, *h holds the header and the line is at data + 64.
RecordCheck CheckRecord(const char* data, size_t avail, RecordHeader* h);

// A segment file header.
struct SegmentHeader {
  uint64_t magic;
  uint32_t version;  // 1
  uint32_t crc;      // CRC-32C of the other 56 bytes (this field zeroed).
  uint64_t instance;
  uint64_t number;     // Segment number within the instance, from 1.
  int64_t created_ns;  // Unix ns.
  uint64_t first_sequence;
  uint8_t reserved[16];
};
static_assert(sizeof(SegmentHeader) == kSegmentHeaderBytes, "segment header layout");

// Fills a segment header (with its CRC).
SegmentHeader MakeSegmentHeader(uint64_t instance, uint64_t number, int64_t created_ns,
                                uint64_t first_sequence);
// True when `data` (64 bytes) is a valid segment header; fills *h.
bool CheckSegmentHeader(const char* data, SegmentHeader* h);

// "seg-<instance 16 hex>-<number 8 digits>.log".
std::string SegmentFileName(uint64_t instance, uint64_t number);
// Parses a segment file name; false for anything else.
bool ParseSegmentFileName(const std::string& name, uint64_t* instance, uint64_t* number);
// 16 lower-case hex digits.
std::string InstanceHex(uint64_t instance);

}  // namespace paddock::logagg
