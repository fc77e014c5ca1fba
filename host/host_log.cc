#include "host/host_log.h"

#include <unistd.h>

#include <atomic>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "host/string_view_compat.h"

namespace paddock::host {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};

constexpr const char* kNames[] = {"debug", "info", "warn", "error"};
// sd-daemon(3) priority prefixes, so journald keeps the level.
constexpr const char* kJournal[] = {"<7>", "<6>", "<4>", "<3>"};

bool JournalPrefix() {
  static const bool on = [] {
    const char* v = getenv("JOURNAL_STREAM");
    return v != nullptr && *v != '\0';
  }();
  return on;
}

}  // namespace

void SetHostLogLevel(LogLevel level) { g_level.store(static_cast<int>(level)); }

LogLevel ParseLogLevel(std::string_view name) {
  if (name == "debug") return LogLevel::kDebug;
  if (name == "warn") return LogLevel::kWarn;
  if (name == "error") return LogLevel::kError;
  return LogLevel::kInfo;
}

void HostLog(LogLevel level, std::string_view message) {
  int l = static_cast<int>(level);
  if (l < g_level.load(std::memory_order_relaxed)) return;
  std::string line;
  if (JournalPrefix()) {
    line = absl::StrCat(kJournal[l], kNames[l], " ", ToAbsl(message), "\n");
  } else {
    line = absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()),
                        " ", kNames[l], " ", ToAbsl(message), "\n");
  }
  (void)!write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace paddock::host
