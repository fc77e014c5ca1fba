// A plugin reporting hostile metrics (tests/test-plugins/metrics_hostile.cc) beside hello:
// the scrape repairs or drops what it sent, stays valid for promtool, caps its flood, and
// when its Metrics answer is too slow the scrape still finishes in time with hello intact.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "absl/time/clock.h"
#include "integration/harness.h"
#include "integration/metrics_fixture.h"

using paddock::testing::BundledPlugin;
using paddock::testing::Host;
using paddock::testing::HttpGet;
using paddock::testing::MetricsAddress;
using paddock::testing::OnCi;
using paddock::testing::PromtoolCheck;
using paddock::testing::SeriesValue;
using paddock::testing::TestPlugin;
using paddock::testing::WaitFor;
namespace v1 = paddock::v1;

namespace {

std::string Config(int sleep_ms) {
  return "\"plugins\": {\"metrics-hostile\": {\"config\": {\"sleep_ms\": " +
         std::to_string(sleep_ms) + "}}}";
}

size_t CountLines(const std::string& text, const std::string& prefix) {
  size_t n = 0;
  for (size_t p = text.find("\n" + prefix); p != std::string::npos;
       p = text.find("\n" + prefix, p + 1)) {
    ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("hostile plugin metrics are sanitized, capped and cannot stall a scrape", "[metrics]") {
  Host host(Config(0));
  host.AddPlugin(BundledPlugin("hello"), "hello");
  host.AddPlugin(TestPlugin("metrics-hostile"), "metrics-hostile");
  REQUIRE(host.Start());
  REQUIRE(host.WaitForState("hello", v1::STATE_SERVING, 15));
  REQUIRE(host.WaitForState("metrics-hostile", v1::STATE_SERVING, 15));
  REQUIRE(host.Ctl({"call", "hello", "Greet", "{}"}).exit_code == 0);
  const std::string addr = MetricsAddress(host);
  REQUIRE_FALSE(addr.empty());

  std::string text = HttpGet(addr);
  INFO(text.substr(0, 20000));
  const std::string hostile = "{plugin=\"metrics-hostile\"}";
  CHECK(SeriesValue(text, "paddock_host_plugin_metrics_up" + hostile) == 1);
  CHECK(SeriesValue(text, "paddock_plugin_good_total" + hostile) == 3);
  // Label names sanitized, `le` and `plugin` renamed, values escaped on one line.
  CHECK(SeriesValue(text,
                    "paddock_plugin_requests_total{bad_label_=\"x\",exported_le=\""
                    "\xEF\xBF\xBD\\\"\\n}\",plugin=\"metrics-hostile\"}") == 7);
  CHECK(SeriesValue(text,
                    "paddock_plugin_forged_total{exported_plugin=\"hello\",plugin="
                    "\"metrics-hostile\"}") == 1);
  CHECK(SeriesValue(text,
                    "paddock_plugin_depth{plugin=\"metrics-hostile\",v=\"a\\\"b\\\\c\\nd\"}") == 1);
  CHECK(text.find("paddock_plugin_bad_seconds") == std::string::npos);
  size_t flood = CountLines(text, "paddock_plugin_flood{");
  CHECK(flood > 0);
  CHECK(flood == 1024);  // The per-family cap; its other families are all there.
  CHECK(SeriesValue(text, "paddock_host_plugin_metrics_rejected_total" + hostile) >= 10000 - 4096);
  CHECK(SeriesValue(text, "paddock_plugin_greetings_total{plugin=\"hello\"}") == 1);
  if (access("/usr/bin/promtool", X_OK) == 0) {
    std::string report;
    CHECK(PromtoolCheck(text, &report) == 0);
    INFO(report);
    CHECK(report.empty());
  } else if (OnCi()) {
    FAIL("promtool missing on CI: scripts/install-deps installs prometheus");
  }

  // Now its Metrics answer takes 3 s: the scrape gives up on it after plugin_timeout_ms
  // (500 ms by default) and still reports everyone else.
  Host::WriteAtomically(host.config_path(), host.ConfigJson(Config(3000)));
  REQUIRE(WaitFor([&] { return host.Status("metrics-hostile").config_version() >= 2; }, 10));
  absl::Time start = absl::Now();
  text = HttpGet(addr);
  absl::Duration took = absl::Now() - start;
  CHECK(took < absl::Milliseconds(1500));
  CHECK(SeriesValue(text, "paddock_host_plugin_metrics_up" + hostile) == 0);
  CHECK(SeriesValue(text, "paddock_host_plugin_metrics_up{plugin=\"hello\"}") == 1);
  CHECK(SeriesValue(text, "paddock_plugin_greetings_total{plugin=\"hello\"}") == 1);
  CHECK(text.find("paddock_plugin_good_total") == std::string::npos);
  // The host itself answers control requests meanwhile.
  CHECK(host.Ctl({"call", "hello", "Greet", "{}"}).exit_code == 0);
}
