// A plugin's stdout and stderr: raw pipe bytes -> lines -> LogEntry -> LogRing.
// Everything a plugin writes is untrusted: lines are bounded, text is sanitized (valid
// UTF-8, no control characters), and a flood is dropped by the ring, never buffered.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "host/log_ring.h"
#include "paddock/v1/control.pb.h"

namespace paddock::host {

// Longest line kept, in bytes; the SDK's own limit (plugin-sdk/include/paddock/log.h).
inline constexpr size_t kDefaultMaxLogLine = 16384;
// Most structured fields kept per line; further fields are dropped.
inline constexpr int kMaxLogFields = 64;

// Splits raw bytes into lines at '\n' (a trailing '\r' is removed). A line longer than
// max_line is emitted cut at max_line bytes with truncated = true, and the rest of it, up
// to the next '\n', is dropped. Holds at most max_line bytes between calls.
// Not thread-safe (one splitter per stream).
class LineSplitter {
 public:
  using Emit = std::function<void(std::string_view line, bool truncated)>;
  explicit LineSplitter(size_t max_line = kDefaultMaxLogLine);
  // Feeds bytes; calls `emit` for every line completed (or cut) by them.
  void Feed(std::string_view bytes, const Emit& emit);
  // End of stream: emits the pending partial line, if any, and resets.
  void Finish(const Emit& emit);

 private:
  const size_t max_line_;
  std::string pending_;
  bool discarding_ = false;  // Dropping the rest of a cut line.
};

// Turns one line into a LogEntry. The SDK writes
//   {"ts":1700000000.123,"level":"info","msg":"listening","fields":{"port":"5514"}}
// A line that is such an object (level one of debug/info/warn/error, msg a string, fields
// an object; ts and unknown members are ignored; non-string field values are kept as
// their JSON text) becomes a structured entry. Anything else becomes level "raw" with the
// line as message. Every string is passed through SanitizeText. unix_nanos is the time the
// host received the line (the plugin's own "ts" is not trusted).
paddock::v1::LogEntry ParseLogLine(std::string_view line, std::string_view plugin,
                                   uint64_t generation, std::string_view stream,
                                   int64_t unix_nanos);

// Bytes of one stream -> entries in a ring. Not thread-safe; no I/O (the caller reads:
// the supervisor, on the event loop, from the instance's non-blocking pipes).
class LogSink {
 public:
  // Called with each entry just before it goes into the ring (e.g. to echo it to the
  // host's own log).
  using Observer = std::function<void(const paddock::v1::LogEntry&)>;

  LogSink(std::string plugin, uint64_t generation, std::string stream,
          std::shared_ptr<LogRing> ring, size_t max_line = kDefaultMaxLogLine,
          std::function<absl::Time()> clock = &absl::Now, Observer observer = nullptr);
  // Appends every complete line in `bytes` to the ring. Cut lines get " [truncated]"
  // appended to their message and the field truncated="true".
  void Feed(std::string_view bytes);
  // End of stream: appends the partial last line, if any.
  void Finish();
  uint64_t lines() const { return lines_; }

 private:
  void Emit(std::string_view line, bool truncated);

  const std::string plugin_;
  const uint64_t generation_;
  const std::string stream_;
  const std::shared_ptr<LogRing> ring_;
  const std::function<absl::Time()> clock_;
  const Observer observer_;
  LineSplitter splitter_;
  uint64_t lines_ = 0;
};

}  // namespace paddock::host
