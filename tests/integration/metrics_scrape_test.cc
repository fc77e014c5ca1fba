// The metrics endpoint of the real paddockd with hello and log-aggregator, confined:
// host series (state, RPCs, health, control requests, reloads, cgroup usage) and the
// plugins' own series are there with the right values, and promtool accepts the whole.
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <thread>

#include "integration/harness.h"
#include "integration/metrics_fixture.h"
#include "plugins/log-aggregator/integration_util.h"

using paddock::testing::BundledPlugin;
using paddock::testing::CmdResult;
using paddock::testing::Host;
using paddock::testing::HttpGet;
using paddock::testing::MetricsAddress;
using paddock::testing::OnCi;
using paddock::testing::PromtoolCheck;
using paddock::testing::SeriesValue;
using paddock::testing::WaitFor;
namespace v1 = paddock::v1;

namespace {

constexpr char kConfig[] =
    "\"plugins\": {\"log-aggregator\": {"
    "\"grant\": {\"sockets\": true, \"data_dir\": true, \"max_memory_bytes\": 536870912, "
    "\"max_cpu_millis\": 2000},"
    "\"sockets\": {\"udp\": \"127.0.0.1:0\", \"tcp\": \"127.0.0.1:0\"}, "
    "\"config\": {\"flushIntervalMs\": 50}}}";

bool PromtoolInstalled() { return access("/usr/bin/promtool", X_OK) == 0; }

}  // namespace

TEST_CASE("GET /metrics has host and plugin series and passes promtool", "[metrics]") {
  Host host(kConfig);
  host.AddPlugin(BundledPlugin("hello"), "hello");
  host.AddPlugin(BundledPlugin("log-aggregator"), "log-aggregator");
  REQUIRE(host.Start());
  REQUIRE(host.WaitForState("hello", v1::STATE_SERVING, 15));
  REQUIRE(host.WaitForState("log-aggregator", v1::STATE_SERVING, 15));
  const std::string addr = MetricsAddress(host);
  INFO(host.Log());
  REQUIRE_FALSE(addr.empty());
  CHECK(addr.rfind("127.0.0.1:", 0) == 0);

  for (int i = 0; i < 3; ++i) REQUIRE(host.Ctl({"call", "hello", "Greet", "{}"}).exit_code == 0);
  CHECK(host.Ctl({"call", "hello", "NoSuchMethod", "{}"}).exit_code != 0);

  // Three syslog lines to the log-aggregator's UDP socket.
  std::string udp;
  const v1::PluginInfo logagg = host.Status("log-aggregator");
  for (const auto& s : logagg.sockets()) {
    if (s.rfind("udp:", 0) == 0) udp = s;
  }
  REQUIRE_FALSE(udp.empty());
  int fd = paddock::logagg::itest::UdpSocketTo(paddock::logagg::itest::PortOf(udp));
  for (int i = 0; i < 3; ++i) {
    std::string line = "<13>Mar 15 08:01:02 host app: metrics test " + std::to_string(i);
    REQUIRE(send(fd, line.data(), line.size(), 0) == static_cast<ssize_t>(line.size()));
  }
  close(fd);

  std::string text;
  const std::string received = "paddock_plugin_records_received_total{plugin=\"log-aggregator\"}";
  const std::string written = "paddock_plugin_records_written_total{plugin=\"log-aggregator\"}";
  REQUIRE(WaitFor(
      [&] {
        text = HttpGet(addr);
        return SeriesValue(text, received) == 3 && SeriesValue(text, written) == 3;
      },
      10));
  INFO(text);
  // The plugins' own figures, with the plugin label.
  CHECK(SeriesValue(text, "paddock_plugin_greetings_total{plugin=\"hello\"}") == 3);
  CHECK(SeriesValue(text, "paddock_host_plugin_metrics_up{plugin=\"hello\"}") == 1);
  CHECK(SeriesValue(text, "paddock_host_plugin_metrics_up{plugin=\"log-aggregator\"}") == 1);
  CHECK(SeriesValue(text,
                    "paddock_plugin_records_dropped_total{plugin=\"log-aggregator\","
                    "reason=\"write\"}") == 0);
  // What the host measured.
  CHECK(SeriesValue(text, "paddock_host_plugin_state{plugin=\"hello\",state=\"serving\"}") == 1);
  CHECK(SeriesValue(text, "paddock_host_plugin_state{plugin=\"hello\",state=\"failed\"}") == 0);
  CHECK(SeriesValue(text,
                    "paddock_host_rpc_requests_total{code=\"OK\",method=\"/"
                    "paddock.hello.v1.Hello/Greet\",plugin=\"hello\"}") == 3);
  CHECK(SeriesValue(text,
                    "paddock_host_rpc_duration_seconds_count{method=\"/"
                    "paddock.hello.v1.Hello/Greet\",plugin=\"hello\"}") == 3);
  CHECK(SeriesValue(text,
                    "paddock_host_control_requests_total{code=\"OK\",method=\"CallStream\"}") >= 3);
  // The failed call (paddockctl call uses CallStream) was counted under its error code, and
  // never reached the plugin.
  size_t failed = 0;
  for (size_t p = text.find("\npaddock_host_control_requests_total{"); p != std::string::npos;
       p = text.find("\npaddock_host_control_requests_total{", p + 1)) {
    std::string line = text.substr(p + 1, text.find('\n', p + 1) - p - 1);
    if (line.find("method=\"CallStream\"") != std::string::npos &&
        line.find("code=\"OK\"") == std::string::npos) {
      ++failed;
    }
  }
  CHECK(failed == 1);
  CHECK(text.find("NoSuchMethod") == std::string::npos);
  CHECK(SeriesValue(text,
                    "paddock_host_plugin_health_check_duration_seconds_count{plugin="
                    "\"hello\"}") >= 1);
  CHECK(SeriesValue(text, "paddock_host_plugin_memory_bytes{plugin=\"hello\"}") > 0);
  CHECK(SeriesValue(text, "paddock_host_plugin_memory_limit_bytes{plugin=\"log-aggregator\"}") ==
        536870912);
  CHECK(SeriesValue(text, "paddock_host_plugin_cpu_seconds_total{plugin=\"hello\"}") > 0);
  CHECK(SeriesValue(text, "paddock_host_plugin_oom_kills_total{plugin=\"hello\"}") == 0);
  CHECK(SeriesValue(text, "paddock_host_plugin_generation{plugin=\"hello\"}") == 1);

  // A reload shows up as one succeeded reload and generation 2; scrapes that run through it
  // all answer, each with exactly one state series for hello.
  std::atomic<bool> stop{false};
  std::atomic<int> scrapes{0}, bad{0};
  std::thread scraper([&] {
    while (!stop.load()) {
      std::string t = HttpGet(addr);
      ++scrapes;
      size_t first = t.find("\npaddock_host_plugin_state{plugin=\"hello\",state=\"serving\"}");
      if (first == std::string::npos ||
          t.find("\npaddock_host_plugin_state{plugin=\"hello\",state=\"serving\"}", first + 1) !=
              std::string::npos) {
        ++bad;
      }
    }
  });
  CmdResult reload = host.Ctl({"reload", "hello"});
  stop = true;
  scraper.join();
  INFO(reload.out << reload.err);
  REQUIRE(reload.exit_code == 0);
  CHECK(scrapes > 0);
  CHECK(bad == 0);
  REQUIRE(WaitFor(
      [&] {
        text = HttpGet(addr);
        return SeriesValue(text, "paddock_host_plugin_generation{plugin=\"hello\"}") == 2 &&
               SeriesValue(text,
                           "paddock_host_plugin_reloads_total{outcome=\"succeeded\","
                           "plugin=\"hello\"}") == 1;
      },
      15));
  // The new generation counts from zero (a counter reset, as Prometheus expects).
  CHECK(SeriesValue(text, "paddock_plugin_greetings_total{plugin=\"hello\"}") == 0);

  if (!PromtoolInstalled()) {
    if (OnCi()) FAIL("promtool missing on CI: scripts/install-deps installs prometheus");
    WARN("promtool not installed (apt install prometheus): skipping promtool check metrics");
    return;
  }
  std::string report;
  int rc = PromtoolCheck(text, &report);
  INFO(report);
  CHECK(rc == 0);
  CHECK(report.empty());
}

TEST_CASE("metrics.disabled serves nothing, other paths and methods are refused", "[metrics]") {
  Host host;
  std::string cfg = host.ConfigJson("");
  const std::string listen = "\"listen\": \"127.0.0.1:0\"";
  size_t p = cfg.find(listen);
  REQUIRE(p != std::string::npos);
  cfg.replace(p, listen.size(), "\"disabled\": true");
  Host::WriteAtomically(host.config_path(), cfg);
  REQUIRE(host.Start());
  CHECK(WaitFor([&] { return host.Log().find("metrics: disabled") != std::string::npos; }, 5));
  CHECK(MetricsAddress(host).empty());

  Host on;
  REQUIRE(on.Start());
  const std::string addr = MetricsAddress(on);
  REQUIRE_FALSE(addr.empty());
  CmdResult r;
  HttpGet(addr, "/nope", &r);
  CHECK(r.exit_code == 22);  // curl --fail: HTTP 404.
  CmdResult post =
      paddock::testing::Run({"/usr/bin/curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X",
                             "POST", "http://" + addr + "/metrics"});
  CHECK(post.out == "405");
  std::string text = HttpGet(addr);
  CHECK(SeriesValue(text, "paddock_host_invalid_plugin_files") == 0);
}

// A plugin keeps function-backed metrics (MetricHandle) as members; they must unregister from
// a registry that is still alive when the plugin is destroyed at exit. log-aggregator holds
// such handles: it must exit by itself, not be SIGKILLed after the grace period.
TEST_CASE("a plugin holding metric handles exits cleanly when stopped", "[metrics]") {
  Host host(kConfig);
  host.AddPlugin(BundledPlugin("log-aggregator"), "log-aggregator");
  REQUIRE(host.Start());
  REQUIRE(host.WaitForState("log-aggregator", v1::STATE_SERVING, 15));
  REQUIRE(host.Ctl({"stop", "log-aggregator"}).exit_code == 0);
  REQUIRE(host.WaitForState("log-aggregator", v1::STATE_STOPPED, 15));
  const std::string log = host.Log();
  INFO(log);
  CHECK(log.find("log-aggregator g1 exited with status 0") != std::string::npos);
  CHECK(log.find("SIGKILL") == std::string::npos);
}
