// Tests of the metrics collector: the families derived from plugin snapshots, host
// counters, a plugin that cannot answer (up 0, bounded wait), a loop that does not answer,
// and that promtool accepts the whole answer.
#include "host/metrics_collector.h"

#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "host/certs.h"

namespace paddock::host {
namespace {

using paddock::v1::PluginState;

std::vector<PluginSnapshot> TwoPlugins() {
  std::vector<PluginSnapshot> v(2);
  auto& a = v[0].info;
  a.set_name("hello");
  a.set_version("1.0.0");
  a.set_state(PluginState::STATE_SERVING);
  a.set_generation(3);
  a.set_live_instances(1);
  auto* c = a.mutable_confinement();
  c->set_memory_limit_bytes(256 << 20);
  c->set_cpu_limit_millis(500);
  c->add_cgroup_paths("v1:memory:/sys/fs/cgroup/memory/x");
  c->set_memory_current_bytes(1 << 20);
  c->set_cpu_usage_ns(2500000000);
  c->set_oom_kills(1);
  auto* viol = c->add_violations();
  viol->set_syscall("ptrace");
  viol->set_action("killed");
  viol->set_count(2);
  auto& b = v[1].info;
  b.set_name("gcounter");
  b.set_state(PluginState::STATE_FAILED);
  return v;
}

bool Has(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

int Promtool(const std::string& text, std::string* report) {
  char path[] = "/tmp/metrics_collector_test.XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  close(fd);
  FILE* p =
      popen(("/usr/bin/promtool check metrics < " + std::string(path) + " 2>&1").c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[512];
  while (fgets(buf, sizeof(buf), p) != nullptr) *report += buf;
  int status = pclose(p);
  unlink(path);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_CASE("plugin snapshots become state, usage, OOM and violation series", "[collector]") {
  HostMetrics metrics;
  metrics.RestartScheduled("hello");
  metrics.ReloadFinished("hello", true, absl::Milliseconds(300));
  metrics.ReloadFinished("hello", false, absl::Seconds(2));
  metrics.HealthChecked("hello", false, absl::Milliseconds(3));
  metrics.PluginCall("hello", "/paddock.hello.v1.Hello/Greet", grpc::StatusCode::OK,
                     absl::Microseconds(700));
  metrics.ControlRequest("List", grpc::StatusCode::OK, absl::Microseconds(100));
  metrics.InvokeDenied("scheduler");
  metrics.InvokeDenied("scheduler");
  MetricsCollector collector(
      [](absl::Duration, size_t* invalid) {
        *invalid = 2;
        return TwoPlugins();
      },
      &metrics, MetricsCollector::Options());
  std::string text = collector.Scrape();
  INFO(text);
  CHECK(Has(text, "paddock_host_plugin_state{plugin=\"hello\",state=\"serving\"} 1"));
  CHECK(Has(text, "paddock_host_plugin_state{plugin=\"hello\",state=\"failed\"} 0"));
  CHECK(Has(text, "paddock_host_plugin_state{plugin=\"gcounter\",state=\"failed\"} 1"));
  CHECK(Has(text, "paddock_host_plugin_generation{plugin=\"hello\"} 3"));
  CHECK(Has(text, "paddock_host_plugin_memory_bytes{plugin=\"hello\"} 1048576"));
  CHECK(Has(text, "paddock_host_plugin_memory_limit_bytes{plugin=\"hello\"} 268435456"));
  CHECK(Has(text, "paddock_host_plugin_cpu_limit_cpus{plugin=\"hello\"} 0.5"));
  CHECK(Has(text, "paddock_host_plugin_cpu_seconds_total{plugin=\"hello\"} 2.5"));
  CHECK(Has(text, "paddock_host_plugin_oom_kills_total{plugin=\"hello\"} 1"));
  CHECK(Has(text,
            "paddock_host_plugin_policy_violations_total{action=\"killed\",plugin=\"hello\","
            "syscall=\"ptrace\"} 2"));
  CHECK(Has(text, "paddock_host_invalid_plugin_files 2"));
  CHECK(Has(text, "paddock_host_plugin_restarts_total{plugin=\"hello\"} 1"));
  CHECK(Has(text, "paddock_host_plugin_reloads_total{outcome=\"failed\",plugin=\"hello\"} 1"));
  CHECK(Has(text, "paddock_host_plugin_reloads_total{outcome=\"succeeded\",plugin=\"hello\"} 1"));
  CHECK(Has(text, "paddock_host_plugin_health_check_failures_total{plugin=\"hello\"} 1"));
  CHECK(Has(text,
            "paddock_host_rpc_requests_total{code=\"OK\",method=\"/paddock.hello.v1.Hello/Greet\","
            "plugin=\"hello\"} 1"));
  CHECK(Has(text,
            "paddock_host_rpc_duration_seconds_bucket{method=\"/paddock.hello.v1.Hello/"
            "Greet\",plugin=\"hello\",le=\"0.001\"} 1"));
  CHECK(Has(text, "paddock_host_control_requests_total{code=\"OK\",method=\"List\"} 1"));
  CHECK(Has(text, "paddock_host_invoke_denied_total{caller=\"scheduler\"} 2"));
  CHECK(Has(text, "paddock_host_metrics_snapshot_timeouts_total 0"));
  // No cgroup (gcounter is not running): no usage series for it.
  CHECK(text.find("paddock_host_plugin_memory_bytes{plugin=\"gcounter\"}") == std::string::npos);
  if (access("/usr/bin/promtool", X_OK) == 0) {
    std::string report;
    CHECK(Promtool(text, &report) == 0);
    INFO(report);
    CHECK(report.empty());
  } else {
    WARN("promtool not installed (Debian package prometheus): skipping the promtool check");
  }
}

TEST_CASE("a loop that does not answer still gives the host's own metrics", "[collector]") {
  HostMetrics metrics;
  MetricsCollector collector(
      [](absl::Duration, size_t*) -> absl::StatusOr<std::vector<PluginSnapshot>> {
        return absl::DeadlineExceededError("slow loop");
      },
      &metrics, MetricsCollector::Options());
  collector.Scrape();
  std::string text = collector.Scrape();
  CHECK(Has(text, "paddock_host_metrics_snapshot_timeouts_total 2"));
  CHECK(Has(text, "paddock_host_invalid_plugin_files 0"));
}

TEST_CASE("a plugin that cannot answer shows as down without stalling the scrape", "[collector]") {
  auto ca = CertificateAuthority::Create("test CA", absl::Hours(1));
  REQUIRE(ca.ok());
  auto cert = (*ca)->Issue(kHostIdentity, absl::Hours(1));
  REQUIRE(cert.ok());
  HostCredentials creds{(*ca)->certificate_pem(), cert->private_key_pem, cert->certificate_pem};
  char dir[] = "/tmp/metrics_collector_test.XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  auto plugins = TwoPlugins();
  // Nothing listens on this socket.
  plugins[0].client =
      PluginClient::Create(std::string(dir) + "/none.sock", PluginIdentity("hello", 3), creds);
  HostMetrics metrics;
  MetricsCollector::Options options;
  options.plugin_timeout = absl::Milliseconds(300);
  MetricsCollector collector([&](absl::Duration, size_t*) { return plugins; }, &metrics, options);
  absl::Time start = absl::Now();
  std::string text = collector.Scrape();
  CHECK(absl::Now() - start < absl::Seconds(2));
  CHECK(Has(text, "paddock_host_plugin_metrics_up{plugin=\"hello\"} 0"));
  CHECK(text.find("paddock_host_plugin_metrics_up{plugin=\"gcounter\"}") == std::string::npos);
  rmdir(dir);
}

}  // namespace
}  // namespace paddock::host
