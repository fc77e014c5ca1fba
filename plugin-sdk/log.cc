// Structured JSON log lines on stderr (see paddock/log.h).
#include <errno.h>
#include <unistd.h>

#include <atomic>
#include <mutex>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "plugin-sdk/json.h"
#include "plugin-sdk/log_internal.h"

namespace paddock {
namespace {

std::atomic<int> g_min_level{static_cast<int>(log::Level::kInfo)};
std::atomic<int> g_fd{STDERR_FILENO};
// Serializes writes so lines never interleave, even above PIPE_BUF where one write(2) on
// a pipe is not atomic against other writers.
std::mutex g_write_mu;

constexpr std::string_view kLevelNames[] = {"debug", "info", "warn", "error"};
// Bytes kept back for the closing of the line: `,"truncated":true}` plus newline.
constexpr size_t kTail = 20;
// A field name longer than this is cut.
constexpr size_t kMaxKeyBytes = 256;

}  // namespace

namespace sdk {

std::string FormatLogLine(log::Level level, int64_t unix_micros, std::string_view message,
                          std::initializer_list<log::Field> fields) {
  std::string line;
  line.reserve(128 + message.size());
  const int64_t secs = unix_micros / 1000000;
  const int64_t micros = unix_micros % 1000000;
  absl::StrAppendFormat(&line, "{\"ts\":%d.%06d,\"level\":\"%s\",\"msg\":", secs,
                        micros < 0 ? -micros : micros, kLevelNames[static_cast<int>(level) & 3]);
  const size_t limit = kMaxLogLineBytes - kTail;
  bool complete = AppendJsonString(&line, message, limit - line.size());
  if (fields.size() > 0 && complete) {
    line.append(",\"fields\":{");
    bool first = true;
    for (const auto& [key, value] : fields) {
      // Stop when not even an empty field would fit: ,"":""} is 7 bytes.
      if (line.size() + 8 > limit) {
        complete = false;
        break;
      }
      if (!first) line.push_back(',');
      first = false;
      complete = AppendJsonString(&line, key, std::min(kMaxKeyBytes, limit - line.size() - 4));
      line.push_back(':');
      complete = AppendJsonString(&line, value, limit - line.size() - 1) && complete;
      if (!complete) break;
    }
    line.push_back('}');
  }
  if (!complete) line.append(",\"truncated\":true");
  line.append("}\n");
  return line;
}

std::optional<log::Level> ParseLogLevel(std::string_view name) {
  for (int i = 0; i < 4; ++i) {
    if (name == kLevelNames[i]) return static_cast<log::Level>(i);
  }
  return std::nullopt;
}

void SetLogFdForTesting(int fd) { g_fd.store(fd, std::memory_order_relaxed); }

}  // namespace sdk

namespace log {

void SetMinLevel(Level level) { g_min_level.store(static_cast<int>(level)); }

void Write(Level level, std::string_view message, std::initializer_list<Field> fields) {
  if (static_cast<int>(level) < g_min_level.load(std::memory_order_relaxed)) return;
  const std::string line =
      sdk::FormatLogLine(level, absl::ToUnixMicros(absl::Now()), message, fields);
  std::lock_guard<std::mutex> lock(g_write_mu);
  const int fd = g_fd.load(std::memory_order_relaxed);
  size_t done = 0;
  while (done < line.size()) {
    ssize_t r = ::write(fd, line.data() + done, line.size() - done);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return;  // Nowhere to report a failing log stream; drop the line.
    done += static_cast<size_t>(r);
  }
}

}  // namespace log
}  // namespace paddock
