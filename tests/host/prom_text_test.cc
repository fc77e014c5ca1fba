// Tests of the Prometheus text writer: names, escaping, number format, histogram layout,
// and (when promtool is installed) that promtool accepts what it writes.
#include "host/prom_text.h"

#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <string>

namespace paddock::host::prom {
namespace {

using paddock::v1::MetricFamily;

MetricFamily Family(const std::string& name, MetricFamily::Kind kind, const std::string& help) {
  MetricFamily f;
  f.set_name(name);
  f.set_kind(kind);
  f.set_help(help);
  return f;
}

TEST_CASE("metric and label names are validated", "[prom]") {
  CHECK(IsValidMetricName("paddock_host_rpc_requests_total"));
  CHECK(IsValidMetricName("_x:y1"));
  CHECK_FALSE(IsValidMetricName(""));
  CHECK_FALSE(IsValidMetricName("1abc"));
  CHECK_FALSE(IsValidMetricName("a-b"));
  CHECK_FALSE(IsValidMetricName("a b"));
  CHECK_FALSE(IsValidMetricName("é"));
  CHECK(IsValidLabelName("plugin"));
  CHECK(IsValidLabelName("_x1"));
  CHECK_FALSE(IsValidLabelName("__name__"));
  CHECK_FALSE(IsValidLabelName("a:b"));
  CHECK_FALSE(IsValidLabelName("9a"));
  CHECK_FALSE(IsValidLabelName(""));
}

TEST_CASE("names are sanitized to lint-clean snake case", "[prom]") {
  CHECK(SanitizeName("RequestsTotal") == "requeststotal");
  CHECK(SanitizeName("a-b.c d:e") == "a_b_c_d_e");
  CHECK(SanitizeName("9lives") == "_9lives");
  CHECK(SanitizeName("") == "_");
  CHECK(SanitizeName("\xff\xfe") == "__");
  CHECK(IsValidMetricName(SanitizeName("µs latency")));
}

TEST_CASE("label values and help text are escaped; bad UTF-8 is replaced", "[prom]") {
  CHECK(EscapeLabelValue("a\\b\"c\nd") == "a\\\\b\\\"c\\nd");
  CHECK(EscapeLabelValue("héllo") == "héllo");
  CHECK(EscapeLabelValue(std::string("a\xff", 2)) == "a\xEF\xBF\xBD");
  CHECK(EscapeLabelValue(std::string("\0x", 2)) == std::string("\0x", 2));
  CHECK(EscapeHelp("say \"hi\"\\\n") == "say \"hi\"\\\\\\n");
}

TEST_CASE("values are written as Go's ParseFloat reads them", "[prom]") {
  CHECK(FormatValue(0) == "0");
  CHECK(FormatValue(42) == "42");
  CHECK(FormatValue(-1.5) == "-1.5");
  CHECK(FormatValue(0.1) == "0.1");
  CHECK(FormatValue(1e21) == "1e+21");
  CHECK(FormatValue(18446744073709551615.0) == "18446744073709551616");
  CHECK(FormatValue(268435456) == "268435456");
  CHECK(FormatValue(0.0005) == "0.0005");
  CHECK(FormatValue(2.5e-6) == "2.5e-06");
  CHECK(FormatValue(std::nan("")) == "NaN");
  CHECK(FormatValue(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(FormatValue(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(std::stod(FormatValue(1.0 / 3)) == 1.0 / 3);  // Round-trips exactly.
}

std::vector<MetricFamily> Sample() {
  std::vector<MetricFamily> fs;
  MetricFamily c = Family("x_requests_total", MetricFamily::COUNTER, "Requests \\ served\nok.");
  auto* s = c.add_samples();
  (*s->mutable_labels())["plugin"] = "hello";
  (*s->mutable_labels())["method"] = "/a.B/\"C\"\n";
  s->set_value(3);
  fs.push_back(c);
  MetricFamily g = Family("x_temperature_celsius", MetricFamily::GAUGE, "Temp.");
  g.add_samples()->set_value(-2.5);
  fs.push_back(g);
  MetricFamily h = Family("x_wait_seconds", MetricFamily::HISTOGRAM, "Wait.");
  s = h.add_samples();
  (*s->mutable_labels())["plugin"] = "p";
  for (double b : {0.001, 0.01, 1.0}) s->add_bucket_bounds(b);
  for (uint64_t n : {1, 1, 5, 7}) s->add_bucket_counts(n);
  s->set_sum(4.25);
  fs.push_back(h);
  return fs;
}

TEST_CASE("families render with HELP, TYPE, sorted labels and histogram series", "[prom]") {
  std::string out;
  Render(Sample(), &out);
  CHECK(out ==
        "# HELP x_requests_total Requests \\\\ served\\nok.\n"
        "# TYPE x_requests_total counter\n"
        "x_requests_total{method=\"/a.B/\\\"C\\\"\\n\",plugin=\"hello\"} 3\n"
        "# HELP x_temperature_celsius Temp.\n"
        "# TYPE x_temperature_celsius gauge\n"
        "x_temperature_celsius -2.5\n"
        "# HELP x_wait_seconds Wait.\n"
        "# TYPE x_wait_seconds histogram\n"
        "x_wait_seconds_bucket{plugin=\"p\",le=\"0.001\"} 1\n"
        "x_wait_seconds_bucket{plugin=\"p\",le=\"0.01\"} 1\n"
        "x_wait_seconds_bucket{plugin=\"p\",le=\"1\"} 5\n"
        "x_wait_seconds_bucket{plugin=\"p\",le=\"+Inf\"} 7\n"
        "x_wait_seconds_sum{plugin=\"p\"} 4.25\n"
        "x_wait_seconds_count{plugin=\"p\"} 7\n");
}

TEST_CASE("promtool accepts the rendered text", "[prom]") {
  const char* promtool = "/usr/bin/promtool";
  if (access(promtool, X_OK) != 0) {
    WARN("promtool not installed (Debian package prometheus): skipping the promtool check");
    return;
  }
  std::string out;
  Render(Sample(), &out);
  char path[] = "/tmp/prom_text_test.XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, out.data(), out.size()) == static_cast<ssize_t>(out.size()));
  close(fd);
  std::string cmd = std::string(promtool) + " check metrics < " + path + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string report;
  char buf[512];
  while (fgets(buf, sizeof(buf), p) != nullptr) report += buf;
  int status = pclose(p);
  unlink(path);
  INFO(report);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

}  // namespace
}  // namespace paddock::host::prom
