#include "record_builder.h"

#include <cstring>

#include "record.h"
#include "syslog_time.h"

namespace paddock::logagg {

void RecordBuilder::BeginBatch(int64_t recv_ns) {
  clock_.recv_ns = recv_ns;
  if (recv_ns < year_start_ns_ || recv_ns >= year_end_ns_) {
    int y = YearOf(recv_ns);
    clock_.recv_year = y;
    year_start_ns_ = DaysFromCivil(y, 1, 1) * 86400 * 1'000'000'000ll;
    year_end_ns_ = DaysFromCivil(y + 1, 1, 1) * 86400 * 1'000'000'000ll;
  }
}

void RecordBuilder::Finish(char* header, const char* line, uint32_t len, uint8_t flags,
                           size_t orig_len) {
  ParseSyslog(line, len, clock_, &parsed_);
  RecordHeader h;
  EncodeRecord(parsed_, line, len, next_seq_++, clock_.recv_ns, flags, &h);
  std::memcpy(header, &h, sizeof(h));
  Add(stats_.received, 1);
  Add(stats_.received_bytes, orig_len);
  switch (parsed_.format) {
    case LineFormat::kRfc3164:
      Add(stats_.parsed_rfc3164, 1);
      break;
    case LineFormat::kRfc5424:
      Add(stats_.parsed_rfc5424, 1);
      break;
    default:
      Add(stats_.raw, 1);
  }
  if (flags & kFlagTruncated) Add(stats_.truncated, 1);
}

void RecordBuilder::CommitInSlot(uint32_t i, uint32_t len, uint8_t flags) {
  size_t orig = len;
  if (len > max_) {
    len = max_;
    flags |= kFlagTruncated;
  }
  Finish(ring_.SlotHeader(i), ring_.SlotLine(i), len, flags, orig);
  ring_.SetSmall(i, static_cast<uint32_t>(kRecordHeaderBytes + len));
}

bool RecordBuilder::CommitCopy(uint32_t i, const char* a, size_t alen, const char* b, size_t blen,
                               uint8_t flags) {
  size_t orig = alen + blen;
  size_t total = orig;
  if (total > max_) {
    total = max_;
    flags |= kFlagTruncated;
    if (alen > total) {
      alen = total;
      blen = 0;
    } else {
      blen = total - alen;
    }
  }
  char* header;
  if (total <= ring_.slot_bytes()) {
    header = ring_.SlotHeader(i);
    ring_.SetSmall(i, static_cast<uint32_t>(kRecordHeaderBytes + total));
  } else {
    header = ring_.ReserveLarge(i, static_cast<uint32_t>(kRecordHeaderBytes + total));
    if (header == nullptr) return false;
  }
  char* line = header + kRecordHeaderBytes;
  // memmove: for UDP the first part may already sit in this very slot.
  if (alen > 0 && line != a) std::memmove(line, a, alen);
  if (blen > 0) std::memcpy(line + alen, b, blen);
  Finish(header, line, static_cast<uint32_t>(total), flags, orig);
  return true;
}

}  // namespace paddock::logagg
