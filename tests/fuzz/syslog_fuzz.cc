// Fuzzes the log-aggregator's path for one received line: RFC 6587 TCP framing
// (tcp_framer.h), the RFC 5424 / RFC 3164 header parser (syslog_parser), the stored
// record's encoding and check (record), and its conversion to the LogRecord a query
// returns (query.cc ToProto). Every byte comes from the network.
//
// Input: byte 0 sets the TCP framer's frame limit and the chunk size the stream arrives
// in; the rest is both one syslog line (UDP) and a TCP stream. Invariants beyond "no
// crash, no leak, no UB": every span lies inside the line; facility/severity are in range;
// an encoded record passes CheckRecord; the LogRecord serializes and parses back (its
// strings are valid UTF-8); frames lie inside the bytes fed, and feeding the stream in
// chunks yields the same frames as feeding it whole.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "log_aggregator.pb.h"
#include "query.h"
#include "record.h"
#include "syslog_parser.h"
#include "tcp_framer.h"

namespace logagg = paddock::logagg;

namespace {

void CheckSpan(const logagg::Span& s, size_t n) { FUZZ_CHECK(size_t{s.off} + s.len <= n); }

void OneLine(const char* line, size_t n) {
  n = std::min(n, logagg::kMaxLineBytes);
  logagg::ParseClock clock{.recv_ns = int64_t{1'700'000'000} * 1'000'000'000, .recv_year = 2023};
  logagg::ParsedLine p;
  logagg::ParseSyslog(line, n, clock, &p);
  for (const logagg::Span* s : {&p.host, &p.app, &p.procid, &p.msgid, &p.sd, &p.msg}) {
    CheckSpan(*s, n);
  }
  if (p.has_pri) FUZZ_CHECK(p.facility <= 23 && p.severity <= 7);

  std::vector<char> rec(logagg::kRecordHeaderBytes + n);
  if (n > 0) std::memcpy(rec.data() + logagg::kRecordHeaderBytes, line, n);
  logagg::RecordHeader h;
  logagg::EncodeRecord(p, rec.data() + logagg::kRecordHeaderBytes, static_cast<uint32_t>(n), 7,
                       clock.recv_ns, 0, &h);
  std::memcpy(rec.data(), &h, sizeof(h));
  logagg::RecordHeader checked;
  FUZZ_CHECK(logagg::CheckRecord(rec.data(), rec.size(), &checked) == logagg::RecordCheck::kOk);

  paddock::logagg::v1::LogRecord out;
  logagg::ToProto(checked, rec.data() + logagg::kRecordHeaderBytes, 1, true, &out);
  std::string wire;
  FUZZ_CHECK(out.SerializeToString(&wire));
  paddock::logagg::v1::LogRecord back;
  FUZZ_CHECK(back.ParseFromString(wire));
}

struct Got {
  std::string bytes;
  bool truncated;
  bool operator==(const Got& o) const { return bytes == o.bytes && truncated == o.truncated; }
};

// Feeds `s` in chunks of `chunk` bytes the way the TCP server does (keeping the
// unconsumed rest), then finishes. Returns the frames and whether framing failed.
std::vector<Got> Frames(const std::string& s, size_t max_frame, size_t chunk, bool* error) {
  logagg::TcpFramer framer(max_frame);
  std::vector<Got> got;
  std::string buf;
  size_t fed = 0;
  *error = false;
  while (fed < s.size() && !*error) {
    size_t take = std::min(chunk, s.size() - fed);
    buf.append(s, fed, take);
    fed += take;
    const char* base = buf.data();
    size_t used = framer.Feed(
        base, buf.size(),
        [&](const logagg::TcpFramer::Frame& f) {
          FUZZ_CHECK(f.data >= base && f.data + f.len <= base + buf.size());
          FUZZ_CHECK(f.len <= max_frame);
          got.push_back(Got{std::string(f.data, f.len), f.truncated});
          return true;
        },
        error);
    FUZZ_CHECK(used <= buf.size());
    buf.erase(0, used);
  }
  if (!*error) {
    logagg::TcpFramer::Frame f;
    if (framer.Finish(buf.data(), buf.size(), &f)) {
      got.push_back(Got{std::string(f.data, f.len), f.truncated});
    }
  }
  return got;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const char* line = reinterpret_cast<const char*>(data) + 1;
  size_t n = size - 1;
  OneLine(line, n);

  size_t max_frame = 16 + (data[0] & 0x3f) * 16;  // 16..1024
  size_t chunk = 1 + (data[0] >> 6) * 7;          // 1, 8, 15, 22
  std::string stream(line, n);
  bool whole_error = false, chunk_error = false;
  std::vector<Got> whole = Frames(stream, max_frame, stream.size() + 1, &whole_error);
  std::vector<Got> chunked = Frames(stream, max_frame, chunk, &chunk_error);
  FUZZ_CHECK(whole_error == chunk_error);
  if (!whole_error) FUZZ_CHECK(whole == chunked);
  for (const Got& g : whole) OneLine(g.bytes.data(), g.bytes.size());
  return 0;
}
