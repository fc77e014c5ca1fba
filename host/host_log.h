// paddockd's own log: one line per event on stderr, "2026-11-26T22:49:24.123Z info message".
// Under systemd, when $JOURNAL_STREAM names the stderr this process has (systemd.exec(5)),
// every line goes to journald natively instead (sd_journal_send): PRIORITY= from the level,
// SYSLOG_IDENTIFIER=paddockd, and for lines about a plugin PLUGIN= and GENERATION=, so
// `journalctl -u paddockd PLUGIN=gcounter -p warning` works. If the native send fails the
// line is written to stderr with a "<N>" sd-daemon(3) priority prefix, which journald
// also understands.
// Thread-safe (one write(2) or one datagram per line).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "paddock/v1/control.pb.h"

namespace paddock::host {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Lines below `level` are dropped. Default kInfo.
void SetHostLogLevel(LogLevel level);
// Parses "debug"/"info"/"warn"/"error"; anything else is kInfo.
LogLevel ParseLogLevel(std::string_view name);
// Writes one line.
void HostLog(LogLevel level, std::string_view message);
// Writes one line about generation `generation` of plugin `plugin`: "<plugin> g<N> message"
// on stderr; with PLUGIN= and GENERATION= fields in the journal.
void HostLogInstance(LogLevel level, std::string_view plugin, uint64_t generation,
                     std::string_view message);
// Echoes a line a plugin wrote (already parsed and sanitized, see log_capture.h), filtered
// as an info line of the host: "[<plugin> g<N>] <level>: <message>" on stderr; in the
// journal with the plugin's own level as PRIORITY= and the fields PLUGIN=, GENERATION=,
// PLUGIN_STREAM=, PLUGIN_LEVEL= and one PLUGIN_FIELD_<KEY>= per structured field.
void HostLogPlugin(const paddock::v1::LogEntry& entry);

// A journal field name for a plugin's field key: "PLUGIN_FIELD_" + the key upper-cased,
// every character outside [A-Z0-9_] replaced by '_', cut to journald's 64-character limit.
std::string JournalFieldName(std::string_view key);

}  // namespace paddock::host
