#include "host/host_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

namespace paddock::host {
namespace {

// Runs `fn` with stderr redirected to a pipe; returns what it wrote.
template <typename Fn>
std::string CaptureStderr(Fn fn) {
  int p[2];
  REQUIRE(pipe2(p, O_CLOEXEC) == 0);
  int saved = dup(STDERR_FILENO);
  dup2(p[1], STDERR_FILENO);
  fn();
  dup2(saved, STDERR_FILENO);
  close(saved);
  close(p[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(p[0], buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  close(p[0]);
  return out;
}

TEST_CASE("outside journald, lines are timestamped text on stderr") {
  // $JOURNAL_STREAM is unset in tests, so no line goes to the journal.
  std::string out = CaptureStderr([] {
    HostLog(LogLevel::kWarn, "disk is slow");
    HostLogInstance(LogLevel::kInfo, "hello", 3, "serving (pid 42)");
  });
  CHECK(out.find(" warn disk is slow\n") != std::string::npos);
  CHECK(out.find(" info hello g3 serving (pid 42)\n") != std::string::npos);
  CHECK(out.size() > 24);
  CHECK(out[4] == '-');  // 2026-11-27T...
}

TEST_CASE("a plugin's line is echoed with its plugin, generation and level") {
  paddock::v1::LogEntry e;
  e.set_plugin("gcounter");
  e.set_generation(2);
  e.set_level("error");
  e.set_message("peer unreachable");
  e.set_stream("stderr");
  (*e.mutable_fields())["peer"] = "10.0.0.7:7946";
  std::string out = CaptureStderr([&] { HostLogPlugin(e); });
  CHECK(out.find(" info [gcounter g2] error: peer unreachable\n") != std::string::npos);
}

TEST_CASE("levels below the host's are dropped") {
  SetHostLogLevel(LogLevel::kWarn);
  paddock::v1::LogEntry e;
  e.set_plugin("hello");
  e.set_level("error");
  std::string out = CaptureStderr([&] {
    HostLog(LogLevel::kInfo, "quiet");
    HostLogInstance(LogLevel::kInfo, "hello", 1, "quiet");
    HostLogPlugin(e);  // Filtered as an info line of the host, whatever its own level.
    HostLog(LogLevel::kError, "loud");
  });
  SetHostLogLevel(LogLevel::kInfo);
  CHECK(out.find("quiet") == std::string::npos);
  CHECK(out.find(" error loud\n") != std::string::npos);
}

TEST_CASE("plugin field keys become valid journal field names") {
  CHECK(JournalFieldName("port") == "PLUGIN_FIELD_PORT");
  CHECK(JournalFieldName("peer.addr-v6") == "PLUGIN_FIELD_PEER_ADDR_V6");
  CHECK(JournalFieldName("") == "PLUGIN_FIELD_");
  CHECK(JournalFieldName("\xc3\xa9t\xc3\xa9") == "PLUGIN_FIELD___T__");
  std::string longest = JournalFieldName(std::string(200, 'k'));
  CHECK(longest.size() == 64);
  CHECK(longest.rfind("PLUGIN_FIELD_KKK", 0) == 0);
}

}  // namespace
}  // namespace paddock::host
