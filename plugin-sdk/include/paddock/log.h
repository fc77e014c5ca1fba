// Structured logging for plugins. Each call writes one JSON line to stderr, which the host
// captures, parses (level, message, fields) and keeps in the plugin's log ring:
//   {"ts":1700000000.123456,"level":"info","msg":"listening","fields":{"port":"5514"}}
// Thread-safe: lines are written whole under one lock, so they never interleave. Logging
// never fails the caller: when stderr is gone the line is dropped.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace paddock::log {

// Severity of a log line, lowest first.
enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// One structured field of a log line.
using Field = std::pair<std::string_view, std::string>;

// Lines below `level` are dropped. Set by the SDK from the bootstrap's log_level (the
// host's log_level); a plugin rarely needs to call it. Thread-safe.
void SetMinLevel(Level level);

// Writes one line at `level` with `message` and `fields` (copied; nothing is kept).
// Lines longer than 16 KiB are truncated (and say so). Invalid UTF-8 becomes U+FFFD.
void Write(Level level, std::string_view message, std::initializer_list<Field> fields = {});

inline void Debug(std::string_view m, std::initializer_list<Field> f = {}) {
  Write(Level::kDebug, m, f);
}
inline void Info(std::string_view m, std::initializer_list<Field> f = {}) {
  Write(Level::kInfo, m, f);
}
inline void Warn(std::string_view m, std::initializer_list<Field> f = {}) {
  Write(Level::kWarn, m, f);
}
inline void Error(std::string_view m, std::initializer_list<Field> f = {}) {
  Write(Level::kError, m, f);
}

}  // namespace paddock::log
