// paddockd's own log: one line per event on stderr, "2026-11-26T22:49:24.123Z info message".
// journald keeps the level from the "<N>" prefix when PADDOCK_LOG_PREFIX=journal is set.
// Thread-safe (one write(2) per line).
#pragma once

#include <string_view>

namespace paddock::host {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Lines below `level` are dropped. Default kInfo.
void SetHostLogLevel(LogLevel level);
// Parses "debug"/"info"/"warn"/"error"; anything else is kInfo.
LogLevel ParseLogLevel(std::string_view name);
// Writes one line.
void HostLog(LogLevel level, std::string_view message);

}  // namespace paddock::host
