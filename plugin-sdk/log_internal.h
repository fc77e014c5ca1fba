// SDK-internal parts of paddock/log.h, exposed for the SDK's own use and its tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "paddock/log.h"

namespace paddock::sdk {

// Longest log line, newline included.
inline constexpr size_t kMaxLogLineBytes = 16 * 1024;

// Formats one log line (with its trailing newline), at most kMaxLogLineBytes long. When the
// message or fields had to be cut, the line carries "truncated":true.
std::string FormatLogLine(log::Level level, int64_t unix_micros, std::string_view message,
                          std::initializer_list<log::Field> fields);

// Parses "debug", "info", "warn" or "error"; nullopt otherwise.
std::optional<log::Level> ParseLogLevel(std::string_view name);

// Sends log lines to `fd` instead of stderr (2). Not owned. For tests.
void SetLogFdForTesting(int fd);

}  // namespace paddock::sdk
