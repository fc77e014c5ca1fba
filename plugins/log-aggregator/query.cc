#include "query.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/timestamp.pb.h"
#include "segment_file.h"
#include "segment_writer.h"

namespace paddock::logagg {
namespace {

namespace pb = paddock::logagg::v1;

int64_t ToNs(const google::protobuf::Timestamp& t) {
  return t.seconds() * 1'000'000'000 + t.nanos();
}

void SetTs(int64_t ns, google::protobuf::Timestamp* t) {
  int64_t s = ns / 1'000'000'000, n = ns % 1'000'000'000;
  if (n < 0) {
    n += 1'000'000'000;
    --s;
  }
  t->set_seconds(s);
  t->set_nanos(static_cast<int32_t>(n));
}

bool SpanEquals(const char* line, Span s, const std::string& want) {
  return s.len == want.size() && std::memcmp(line + s.off, want.data(), s.len) == 0;
}

// Valid UTF-8 copy: invalid sequences become U+FFFD, NUL becomes U+2400. Sets *changed.
std::string SanitizeUtf8(const char* p, size_t n, bool* changed) {
  std::string out;
  out.reserve(n);
  size_t i = 0;
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(p[i]);
    if (c == 0) {
      out += "\xE2\x90\x80";
      *changed = true;
      ++i;
      continue;
    }
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    }
    bool ok = len > 0 && i + len <= n;
    for (size_t k = 1; ok && k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(p[i + k]);
      if ((cc & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are invalid.
    if (ok && ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
               (cp >= 0xD800 && cp <= 0xDFFF))) {
      ok = false;
    }
    if (!ok) {
      out += "\xEF\xBF\xBD";
      *changed = true;
      ++i;
      continue;
    }
    out.append(p + i, len);
    i += len;
  }
  return out;
}

std::string CleanField(const char* line, Span s, bool* changed) {
  return SanitizeUtf8(line + s.off, s.len, changed);
}

}  // namespace

absl::StatusOr<RecordFilter> RecordFilter::FromProto(const pb::Filter& f) {
  RecordFilter r;
  if (f.has_start_time()) r.start_ns = ToNs(f.start_time());
  if (f.has_end_time()) r.end_ns = ToNs(f.end_time());
  if (r.end_ns <= r.start_ns) {
    return absl::InvalidArgumentError("filter: end_time must be after start_time");
  }
  switch (f.time_field()) {
    case pb::RECEIVED:
      break;
    case pb::REPORTED:
      r.reported_time = true;
      break;
    default:
      return absl::InvalidArgumentError("filter: unknown time_field");
  }
  int sev = static_cast<int>(f.max_severity());
  if (sev < 0 || sev > 8) return absl::InvalidArgumentError("filter: unknown max_severity");
  r.max_severity = sev - 1;
  r.app = f.app();
  r.host = f.host();
  r.substring = f.substring();
  return r;
}

bool RecordFilter::SkipSegment(const SegmentIndex& idx) const {
  if (idx.empty()) return true;
  int64_t lo = reported_time ? idx.min_time_ns : idx.min_recv_ns;
  int64_t hi = reported_time ? idx.max_time_ns : idx.max_recv_ns;
  if (hi < start_ns || lo >= end_ns) return true;
  if (max_severity >= 0) {
    uint32_t want = (2u << max_severity) - 1;  // Bits 0..max_severity.
    if ((idx.severity_mask & want) == 0) return true;
  }
  return false;
}

bool RecordFilter::Match(const RecordHeader& h, const char* line) const {
  int64_t t = reported_time ? h.time_ns : h.recv_ns;
  if (t < start_ns || t >= end_ns) return false;
  if (max_severity >= 0 && (!(h.flags & kFlagHasPri) || h.severity > max_severity)) return false;
  if (!app.empty() && !SpanEquals(line, h.app, app)) return false;
  if (!host.empty() && !SpanEquals(line, h.host, host)) return false;
  if (!substring.empty() && memmem(line, h.length, substring.data(), substring.size()) == nullptr) {
    return false;
  }
  return true;
}

std::string Cursor::Encode() const {
  if (segment.empty()) return "";
  return absl::StrCat("v1:", created_ns, ":", segment, ":", offset);
}

absl::StatusOr<Cursor> Cursor::Decode(const std::string& token) {
  Cursor c;
  if (token.empty()) return c;
  std::vector<std::string> parts = absl::StrSplit(token, ':');
  uint64_t inst, num;
  if (parts.size() != 4 || parts[0] != "v1" || !absl::SimpleAtoi(parts[1], &c.created_ns) ||
      !ParseSegmentFileName(parts[2], &inst, &num) || !absl::SimpleAtoi(parts[3], &c.offset)) {
    return absl::InvalidArgumentError("page_token: not a token this service issued");
  }
  c.segment = parts[2];
  return c;
}

ScanStats Scan(const std::string& dir, const std::vector<SegmentEntry>& segments,
               const RecordFilter& filter, Cursor* cursor, int64_t deadline_ns,
               const RecordSink& sink) {
  ScanStats st;
  // First segment at or after the cursor's (a deleted one is simply passed).
  size_t i = 0;
  if (!cursor->segment.empty()) {
    SegmentEntry key;
    key.created_ns = cursor->created_ns;
    key.name = cursor->segment;
    i = static_cast<size_t>(std::lower_bound(segments.begin(), segments.end(), key, SegmentBefore) -
                            segments.begin());
    if (i < segments.size() && segments[i].name != cursor->segment) cursor->offset = 0;
  }
  for (; i < segments.size(); ++i) {
    const SegmentEntry& e = segments[i];
    const bool last = i + 1 == segments.size();
    if (cursor->segment != e.name) {
      cursor->segment = e.name;
      cursor->created_ns = e.created_ns;
      cursor->offset = kSegmentHeaderBytes;
    }
    if (e.has_index && filter.SkipSegment(e.index)) {
      // Nothing up to the indexed end can match (lines written later are read next time).
      ++st.skipped_segments;
      cursor->offset = std::max(cursor->offset, e.index.file_bytes);
      if (last) break;
      continue;
    }
    auto reader = SegmentReader::Open(dir + "/" + e.name);
    if (!reader.ok()) continue;  // Deleted by retention meanwhile.
    ++st.scanned_segments;
    reader->Seek(std::max<uint64_t>(cursor->offset, kSegmentHeaderBytes));
    RecordHeader h;
    const char* line;
    uint64_t n = 0;
    bool stopped = false;
    while (reader->Next(&h, &line)) {
      ++st.scanned_records;
      if ((++n & 1023) == 0 && MonotonicNs() > deadline_ns) {
        // Re-read this record next time.
        cursor->offset = reader->position() - kRecordHeaderBytes - h.length;
        st.budget_exhausted = true;
        return st;
      }
      if (filter.Match(h, line)) {
        if (!sink(h, line, e.instance)) {
          cursor->offset = reader->position();
          stopped = true;
          break;
        }
      }
    }
    if (stopped) return st;
    cursor->offset = reader->position();
    if (last) break;
  }
  st.at_end = true;
  return st;
}

Cursor EndCursor(const std::string& dir, const std::vector<SegmentEntry>& segments) {
  Cursor c;
  if (segments.empty()) return c;
  const SegmentEntry& e = segments.back();
  c.segment = e.name;
  c.created_ns = e.created_ns;
  if (e.has_index) {
    c.offset = e.index.file_bytes;
  } else {
    // Another instance's active segment: its size may end inside a record being written.
    auto scan = ScanSegment(dir + "/" + e.name);
    c.offset = scan.ok() ? scan->valid_bytes : kSegmentHeaderBytes;
  }
  return c;
}

void ToProto(const RecordHeader& h, const char* line, uint64_t instance, bool include_raw,
             pb::LogRecord* out) {
  SetTs(h.recv_ns, out->mutable_receive_time());
  SetTs(h.time_ns, out->mutable_time());
  bool has_pri = (h.flags & kFlagHasPri) != 0;
  out->set_has_pri(has_pri);
  out->set_severity(has_pri ? static_cast<pb::Severity>(h.severity + 1) : pb::SEVERITY_UNKNOWN);
  out->set_facility(has_pri ? h.facility : 0);
  out->set_format(static_cast<pb::Format>(h.format));
  bool changed = false;
  out->set_hostname(CleanField(line, h.host, &changed));
  out->set_app_name(CleanField(line, h.app, &changed));
  out->set_procid(CleanField(line, h.procid, &changed));
  out->set_msgid(CleanField(line, h.msgid, &changed));
  out->set_structured_data(CleanField(line, h.sd, &changed));
  changed = false;
  out->set_message(SanitizeUtf8(line + h.msg_off, h.msg_len, &changed));
  // Report invalid bytes anywhere in the line, not only in MSG.
  if (!changed) (void)SanitizeUtf8(line, h.length, &changed);
  out->set_invalid_utf8(changed);
  if (include_raw) out->set_raw(line, h.length);
  out->set_transport((h.flags & kFlagTcp) ? pb::TCP : pb::UDP);
  out->set_truncated((h.flags & kFlagTruncated) != 0);
  out->set_sequence(h.sequence);
  out->set_instance(InstanceHex(instance));
}

}  // namespace paddock::logagg
