#include "record.h"

#include <cstdio>
#include <cstring>

#include "crc32c.h"

namespace paddock::logagg {
namespace {

constexpr size_t kCrcFrom = 12;

uint32_t RecordCrc(const RecordHeader& h, const char* line) {
  uint32_t crc =
      Crc32c(0, reinterpret_cast<const char*>(&h) + kCrcFrom, kRecordHeaderBytes - kCrcFrom);
  return Crc32c(crc, line, h.length);
}

bool SpanInside(Span s, uint32_t length) { return uint32_t{s.off} + s.len <= length; }

}  // namespace

void EncodeRecord(const ParsedLine& p, const char* line, uint32_t length, uint64_t sequence,
                  int64_t recv_ns, uint8_t flags, RecordHeader* h) {
  h->magic = kRecordMagic;
  h->length = length;
  h->format = static_cast<uint8_t>(p.format);
  if (p.has_pri) flags |= kFlagHasPri;
  if (p.has_time) flags |= kFlagHasTime;
  h->flags = flags;
  h->severity = p.severity;
  h->facility = p.facility;
  h->sequence = sequence;
  h->recv_ns = recv_ns;
  h->time_ns = p.has_time ? p.time_ns : recv_ns;
  h->host = p.host;
  h->app = p.app;
  h->procid = p.procid;
  h->msgid = p.msgid;
  h->sd = p.sd;
  h->msg_off = p.msg.off;
  h->msg_len = p.msg.len;
  h->crc = RecordCrc(*h, line);
}

RecordCheck CheckRecord(const char* data, size_t avail, RecordHeader* h) {
  if (avail < kRecordHeaderBytes) return RecordCheck::kTruncated;
  std::memcpy(h, data, kRecordHeaderBytes);
  if (h->magic != kRecordMagic) return RecordCheck::kBadMagic;
  if (h->length > kMaxLineBytes) return RecordCheck::kBadLength;
  if (avail - kRecordHeaderBytes < h->length) return RecordCheck::kTruncated;
  if (RecordCrc(*h, data + kRecordHeaderBytes) != h->crc) return RecordCheck::kBadCrc;
  if (!SpanInside(h->host, h->length) || !SpanInside(h->app, h->length) ||
      !SpanInside(h->procid, h->length) || !SpanInside(h->msgid, h->length) ||
      !SpanInside(h->sd, h->length) || !SpanInside(Span{h->msg_off, h->msg_len}, h->length) ||
      h->format > static_cast<uint8_t>(LineFormat::kRfc5424)) {
    return RecordCheck::kBadSpans;
  }
  return RecordCheck::kOk;
}

SegmentHeader MakeSegmentHeader(uint64_t instance, uint64_t number, int64_t created_ns,
                                uint64_t first_sequence) {
  SegmentHeader h{};
  h.magic = kSegmentMagic;
  h.version = 1;
  h.instance = instance;
  h.number = number;
  h.created_ns = created_ns;
  h.first_sequence = first_sequence;
  h.crc = Crc32c(0, &h, sizeof(h));
  return h;
}

bool CheckSegmentHeader(const char* data, SegmentHeader* h) {
  std::memcpy(h, data, sizeof(*h));
  if (h->magic != kSegmentMagic || h->version != 1) return false;
  SegmentHeader copy = *h;
  copy.crc = 0;
  return Crc32c(0, &copy, sizeof(copy)) == h->crc;
}

std::string InstanceHex(uint64_t instance) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(instance));
  return buf;
}

std::string SegmentFileName(uint64_t instance, uint64_t number) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "seg-%016llx-%08llu.log",
                static_cast<unsigned long long>(instance), static_cast<unsigned long long>(number));
  return buf;
}

bool ParseSegmentFileName(const std::string& name, uint64_t* instance, uint64_t* number) {
  // seg- + 16 hex + - + 8+ digits + .log
  if (name.size() < 4 + 16 + 1 + 8 + 4 || name.compare(0, 4, "seg-") != 0 || name[20] != '-' ||
      name.compare(name.size() - 4, 4, ".log") != 0) {
    return false;
  }
  uint64_t inst = 0;
  for (size_t i = 4; i < 20; ++i) {
    char c = name[i];
    int v = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
    if (v < 0) return false;
    inst = (inst << 4) | static_cast<uint64_t>(v);
  }
  uint64_t num = 0;
  size_t digits_end = name.size() - 4;
  if (digits_end - 21 > 19) return false;
  for (size_t i = 21; i < digits_end; ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
    num = num * 10 + static_cast<uint64_t>(name[i] - '0');
  }
  *instance = inst;
  *number = num;
  return true;
}

}  // namespace paddock::logagg
