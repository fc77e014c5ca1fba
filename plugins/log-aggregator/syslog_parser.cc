#include "syslog_parser.h"

#include <cstring>

#include "syslog_time.h"

namespace paddock::logagg {
namespace {

// RFC 5424 field limits.
constexpr size_t kMaxHost = 255;
constexpr size_t kMaxApp = 48;
constexpr size_t kMaxProcId = 128;
constexpr size_t kMaxMsgId = 32;
constexpr size_t kMaxSdName = 32;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
// PRINTUSASCII: %d33-126.
bool IsPrint(char c) { return c >= 33 && c <= 126; }

// Cursor over the line; every read is bounds-checked.
struct Cur {
  const char* base;
  const char* p;
  const char* end;

  bool AtEnd() const { return p >= end; }
  bool Is(char c) const { return p < end && *p == c; }
  uint16_t Off(const char* q) const { return static_cast<uint16_t>(q - base); }
  Span SpanOf(const char* b, const char* e) const {
    return Span{Off(b), static_cast<uint16_t>(e - b)};
  }
};

// "<PRI>" with 1-3 digits and a value up to 191. Advances past it on success.
bool ParsePri(Cur& c, ParsedLine* out) {
  if (!c.Is('<')) return false;
  const char* q = c.p + 1;
  int v = 0, n = 0;
  while (q < c.end && IsDigit(*q) && n < 4) {
    v = v * 10 + (*q - '0');
    ++q;
    ++n;
  }
  if (n == 0 || n > 3 || q >= c.end || *q != '>' || v > 191) return false;
  out->has_pri = true;
  out->facility = static_cast<uint8_t>(v / 8);
  out->severity = static_cast<uint8_t>(v % 8);
  c.p = q + 1;
  return true;
}

// A token of PRINTUSASCII of 1..max bytes followed by SP (consumed). "-" gives an empty
// span. Returns false on violation.
bool Field(Cur& c, size_t max, Span* span) {
  const char* b = c.p;
  while (c.p < c.end && IsPrint(*c.p)) ++c.p;
  size_t len = static_cast<size_t>(c.p - b);
  if (len == 0 || len > max || !c.Is(' ')) return false;
  *span = (len == 1 && *b == '-') ? Span{c.Off(b), 0} : c.SpanOf(b, c.p);
  ++c.p;
  return true;
}

// SD-NAME: 1*32 PRINTUSASCII except '=', SP, ']', '"'.
bool SdName(Cur& c) {
  const char* b = c.p;
  while (c.p < c.end && IsPrint(*c.p) && *c.p != '=' && *c.p != ']' && *c.p != '"') ++c.p;
  size_t len = static_cast<size_t>(c.p - b);
  return len >= 1 && len <= kMaxSdName;
}

// STRUCTURED-DATA: "-" or 1*("[" SD-ID *(SP PARAM-NAME "=" DQUOTE value DQUOTE) "]").
bool StructuredData(Cur& c, Span* span) {
  if (c.Is('-')) {
    *span = Span{c.Off(c.p), 0};
    ++c.p;
    return true;
  }
  const char* b = c.p;
  if (!c.Is('[')) return false;
  while (c.Is('[')) {
    ++c.p;
    if (!SdName(c)) return false;
    while (c.Is(' ')) {
      ++c.p;
      if (!SdName(c) || !c.Is('=')) return false;
      ++c.p;
      if (!c.Is('"')) return false;
      ++c.p;
      for (;;) {
        if (c.AtEnd()) return false;
        char ch = *c.p;
        if (ch == '\\') {
          if (c.end - c.p < 2) return false;
          c.p += 2;  // An escape covers the next byte, whatever it is.
          continue;
        }
        ++c.p;
        if (ch == '"') break;
      }
    }
    if (!c.Is(']')) return false;
    ++c.p;
  }
  *span = c.SpanOf(b, c.p);
  return true;
}

// Trims trailing CR, LF and NUL bytes off [b, e).
const char* TrimEnd(const char* b, const char* e) {
  while (e > b && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == '\0')) --e;
  return e;
}

void SetMsg(const Cur& c, const char* b, ParsedLine* out) {
  if (c.end - b >= 3 && static_cast<unsigned char>(b[0]) == 0xEF &&
      static_cast<unsigned char>(b[1]) == 0xBB && static_cast<unsigned char>(b[2]) == 0xBF) {
    b += 3;
  }
  out->msg = c.SpanOf(b, TrimEnd(b, c.end));
}

// RFC 5424 after the PRI: VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID
// SP STRUCTURED-DATA [SP MSG].
bool ParseRfc5424(Cur c, ParsedLine* out) {
  if (c.AtEnd() || *c.p < '1' || *c.p > '9') return false;
  int n = 0;
  while (c.p < c.end && IsDigit(*c.p) && n < 3) {
    ++c.p;
    ++n;
  }
  if (!c.Is(' ')) return false;
  ++c.p;
  if (c.Is('-')) {
    out->has_time = false;
    ++c.p;
  } else {
    const char* q = ParseRfc3339(c.p, c.end, &out->time_ns);
    if (q == nullptr) return false;
    out->has_time = true;
    c.p = q;
  }
  if (!c.Is(' ')) return false;
  ++c.p;
  if (!Field(c, kMaxHost, &out->host) || !Field(c, kMaxApp, &out->app) ||
      !Field(c, kMaxProcId, &out->procid) || !Field(c, kMaxMsgId, &out->msgid)) {
    return false;
  }
  if (!StructuredData(c, &out->sd)) return false;
  const char* rest = TrimEnd(c.p, c.end);
  if (c.p == rest) {
    out->msg = Span{c.Off(c.p), 0};
  } else if (c.Is(' ')) {
    SetMsg(c, c.p + 1, out);
  } else {
    return false;
  }
  out->format = LineFormat::kRfc5424;
  return true;
}

// TAG chars as daemons really send them: alphanumerics and -_./@ (e.g. "postfix/smtpd").
bool IsTagChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '-' || c == '_' ||
         c == '.' || c == '/' || c == '@';
}

// "TAG[PID]: " or "TAG: " at c.p. On success sets app/procid and returns the MSG start.
const char* ParseTag(const Cur& c, ParsedLine* out) {
  const char* q = c.p;
  while (q < c.end && IsTagChar(*q)) ++q;
  size_t len = static_cast<size_t>(q - c.p);
  if (len == 0 || len > kMaxApp) return nullptr;
  Span app = c.SpanOf(c.p, q);
  Span procid;
  if (q < c.end && *q == '[') {
    const char* b = ++q;
    while (q < c.end && IsPrint(*q) && *q != ']') ++q;
    size_t plen = static_cast<size_t>(q - b);
    if (q >= c.end || *q != ']' || plen == 0 || plen > kMaxProcId) return nullptr;
    procid = c.SpanOf(b, q);
    ++q;
  }
  if (q >= c.end || *q != ':') return nullptr;
  ++q;
  if (q < c.end && *q == ' ') ++q;
  out->app = app;
  out->procid = procid;
  return q;
}

// RFC 3164 after the PRI: TIMESTAMP SP [HOSTNAME SP] [TAG[PID]: ]MSG. The timestamp is BSD
// style or RFC 3339 (rsyslog's high-precision forwarding format).
bool ParseRfc3164(Cur c, const ParseClock& clock, ParsedLine* out) {
  const char* q = ParseBsdTimestamp(c.p, c.end, clock.recv_ns, clock.recv_year, &out->time_ns);
  if (q == nullptr) q = ParseRfc3339(c.p, c.end, &out->time_ns);
  if (q == nullptr) return false;
  out->has_time = true;
  c.p = q;
  if (c.p < c.end && !c.Is(' ')) return false;
  if (c.Is(' ')) ++c.p;
  out->format = LineFormat::kRfc3164;
  // The next token is the HOSTNAME unless it looks like a TAG ("sshd[1]:", "kernel:") or
  // is the last word of the line.
  const char* t = c.p;
  while (t < c.end && IsPrint(*t)) ++t;
  size_t tlen = static_cast<size_t>(t - c.p);
  bool is_tag = tlen > 0 && (t[-1] == ':' || std::memchr(c.p, '[', tlen) != nullptr);
  if (tlen > 0 && tlen <= kMaxHost && !is_tag && t < c.end && *t == ' ') {
    out->host = c.SpanOf(c.p, t);
    c.p = t + 1;
  }
  const char* msg = ParseTag(c, out);
  SetMsg(c, msg != nullptr ? msg : c.p, out);
  return true;
}

}  // namespace

void ParseSyslog(const char* line, size_t n, const ParseClock& clock, ParsedLine* out) {
  *out = ParsedLine{};
  if (n > kMaxLineBytes) n = kMaxLineBytes;
  Cur c{line, line, line + n};
  if (ParsePri(c, out)) {
    ParsedLine pri = *out;
    if (ParseRfc5424(c, out)) return;
    *out = pri;
    if (ParseRfc3164(c, clock, out)) return;
    *out = pri;
  }
  out->format = LineFormat::kRaw;
  out->has_time = false;
  SetMsg(c, c.p, out);
}

}  // namespace paddock::logagg
