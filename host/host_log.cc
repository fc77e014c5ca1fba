#include "host/host_log.h"

#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "host/string_view_compat.h"

namespace paddock::host {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};

constexpr const char* kNames[] = {"debug", "info", "warn", "error"};
// syslog priorities (debug 7, info 6, warning 4, err 3), as "<N>" sd-daemon(3) prefixes and
// as journal PRIORITY= values.
constexpr const char* kJournal[] = {"<7>", "<6>", "<4>", "<3>"};
constexpr const char* kPriority[] = {"7", "6", "4", "3"};
constexpr size_t kMaxJournalFieldName = 64;

// True when $JOURNAL_STREAM is "<dev>:<ino>" of our stderr: systemd connected stderr to
// journald (a redirected stderr keeps the variable but not the match; systemd.exec(5)).
bool StderrIsJournal() {
  static const bool on = [] {
    const char* v = getenv("JOURNAL_STREAM");
    if (v == nullptr || *v == '\0') return false;
    uintmax_t dev = 0, ino = 0;
    if (sscanf(v, "%ju:%ju", &dev, &ino) != 2) return false;
    struct stat st {};
    if (fstat(STDERR_FILENO, &st) != 0) return false;
    return static_cast<uintmax_t>(st.st_dev) == dev && static_cast<uintmax_t>(st.st_ino) == ino;
  }();
  return on;
}

struct Field {
  std::string name;
  std::string_view value;
};

// One entry to journald over its native socket; false if that failed.
bool SendToJournal(int level, std::string_view message, const std::vector<Field>& fields) {
  std::vector<std::string> items;
  items.reserve(fields.size() + 3);
  items.push_back(absl::StrCat("MESSAGE=", ToAbsl(message)));
  items.push_back(absl::StrCat("PRIORITY=", kPriority[level]));
  items.push_back("SYSLOG_IDENTIFIER=paddockd");
  for (const Field& f : fields) items.push_back(absl::StrCat(f.name, "=", ToAbsl(f.value)));
  std::vector<iovec> iov;
  iov.reserve(items.size());
  for (std::string& s : items) iov.push_back({s.data(), s.size()});
  return sd_journal_sendv(iov.data(), static_cast<int>(iov.size())) == 0;
}

void WriteLine(int level, std::string_view message, const std::vector<Field>& fields) {
  bool journal = StderrIsJournal();
  if (journal && SendToJournal(level, message, fields)) return;
  std::string line;
  if (journal) {
    line = absl::StrCat(kJournal[level], kNames[level], " ", ToAbsl(message), "\n");
  } else {
    line = absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()),
                        " ", kNames[level], " ", ToAbsl(message), "\n");
  }
  (void)!write(STDERR_FILENO, line.data(), line.size());
}

bool Enabled(LogLevel level) {
  return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed);
}

// The priority of a plugin's line: its own level; "raw" (unstructured) output is info.
int PluginPriorityIndex(std::string_view level) {
  if (level == "debug") return 0;
  if (level == "warn") return 2;
  if (level == "error") return 3;
  return 1;
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
  if (!Enabled(level)) return;
  WriteLine(static_cast<int>(level), message, {});
}

void HostLogInstance(LogLevel level, std::string_view plugin, uint64_t generation,
                     std::string_view message) {
  if (!Enabled(level)) return;
  std::string gen = absl::StrCat(generation);
  WriteLine(static_cast<int>(level),
            absl::StrCat(ToAbsl(plugin), " g", generation, " ", ToAbsl(message)),
            {{"PLUGIN", plugin}, {"GENERATION", gen}});
}

void HostLogPlugin(const paddock::v1::LogEntry& entry) {
  if (!Enabled(LogLevel::kInfo)) return;
  std::string text = absl::StrCat("[", entry.plugin(), " g", entry.generation(), "] ",
                                  entry.level(), ": ", entry.message());
  if (!StderrIsJournal()) {
    WriteLine(static_cast<int>(LogLevel::kInfo), text, {});
    return;
  }
  std::string gen = absl::StrCat(entry.generation());
  std::vector<Field> fields = {{"PLUGIN", entry.plugin()},
                               {"GENERATION", gen},
                               {"PLUGIN_STREAM", entry.stream()},
                               {"PLUGIN_LEVEL", entry.level()}};
  for (const auto& [key, value] : entry.fields()) fields.push_back({JournalFieldName(key), value});
  WriteLine(PluginPriorityIndex(entry.level()), text, fields);
}

std::string JournalFieldName(std::string_view key) {
  std::string name = "PLUGIN_FIELD_";
  for (char c : key) {
    if (name.size() >= kMaxJournalFieldName) break;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    bool ok = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    name.push_back(ok ? c : '_');
  }
  return name;
}

}  // namespace paddock::host
