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
  ++received_;
  received_bytes_ += orig_len;
  switch (parsed_.format) {
    case LineFormat::kRfc3164:
      ++rfc3164_;
      break;
    case LineFormat::kRfc5424:
      ++rfc5424_;
      break;
    default:
      ++raw_;
  }
  if (flags & kFlagTruncated) ++truncated_;
}

void RecordBuilder::FlushCounters() {
  if (received_ == 0) return;
  Add(stats_.received, received_);
  Add(stats_.received_bytes, received_bytes_);
  if (rfc3164_ != 0) Add(stats_.parsed_rfc3164, rfc3164_);
  if (rfc5424_ != 0) Add(stats_.parsed_rfc5424, rfc5424_);
  if (raw_ != 0) Add(stats_.raw, raw_);
  if (truncated_ != 0) Add(stats_.truncated, truncated_);
  received_ = received_bytes_ = rfc3164_ = rfc5424_ = raw_ = truncated_ = 0;
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
