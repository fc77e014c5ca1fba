// Syslog header parsing (RFC 5424 and RFC 3164) over a byte range, without allocating:
// fields are returned as offsets into the line. Any byte sequence is valid input; lines
// that match neither grammar come back as kRaw (with their PRI decoded when it is valid).
#pragma once

#include <cstddef>
#include <cstdint>

namespace paddock::logagg {

// Longest line the parser accepts (offsets are 16-bit). Callers cut longer lines.
inline constexpr size_t kMaxLineBytes = 65535;

// Header grammar a line matched. Values are stored on disk and match the proto's Format.
enum class LineFormat : uint8_t { kRaw = 0, kRfc3164 = 1, kRfc5424 = 2 };

// A field of the line: `len` bytes at offset `off`. len == 0 means absent (or "-").
struct Span {
  uint16_t off = 0;
  uint16_t len = 0;
};

// What the parser found. Plain data; zero-initialise before reuse is not needed (Parse
// overwrites every field).
struct ParsedLine {
  LineFormat format = LineFormat::kRaw;
  bool has_pri = false;
  uint8_t facility = 0;  // 0-23 when has_pri.
  uint8_t severity = 0;  // 0-7 when has_pri.
  bool has_time = false;
  int64_t time_ns = 0;  // Header time (UTC unix ns) when has_time.
  Span host, app, procid, msgid, sd;
  // The MSG part: for kRaw the line after a valid PRI (or the whole line), without a
  // leading UTF-8 BOM and without trailing CR/LF/NUL bytes.
  Span msg;
};

// Receive-time facts the RFC 3164 year inference needs, computed once per batch.
struct ParseClock {
  int64_t recv_ns = 0;
  int recv_year = 1970;
};

// Parses `line[0, n)`; n must be <= kMaxLineBytes. Never reads outside the range.
void ParseSyslog(const char* line, size_t n, const ParseClock& clock, ParsedLine* out);

}  // namespace paddock::logagg
