// A real Prometheus server (Debian's /usr/bin/prometheus) scrapes a running paddockd every
// second; its HTTP query API then returns the host's and the plugin's series.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>

#include "integration/harness.h"
#include "integration/metrics_fixture.h"

using paddock::testing::BundledPlugin;
using paddock::testing::HttpGet;
using paddock::testing::MetricsAddress;
using paddock::testing::OnCi;
using paddock::testing::TempDir;
using paddock::testing::WaitFor;
namespace v1 = paddock::v1;

namespace {

constexpr char kPrometheus[] = "/usr/bin/prometheus";

// A loopback port nobody listens on right now (the kernel's pick; a race with another
// process taking it in between is possible but unlikely).
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    close(fd);
    return -1;
  }
  close(fd);
  return ntohs(a.sin_port);
}

// A Prometheus server in `dir`, scraping `target` every second; killed on destruction
// (and with the test, through PR_SET_PDEATHSIG).
class Prometheus {
 public:
  Prometheus(const std::string& dir, const std::string& target, int port) : port_(port) {
    const std::string config = dir + "/prometheus.yml";
    std::ofstream(config) << "global:\n"
                             "  scrape_interval: 1s\n"
                             "  scrape_timeout: 1s\n"
                             "  evaluation_interval: 1s\n"
                             "scrape_configs:\n"
                             "  - job_name: paddock\n"
                             "    static_configs:\n"
                             "      - targets: ['"
                          << target << "']\n";
    log_ = dir + "/prometheus.log";
    std::vector<std::string> argv = {
        kPrometheus, "--config.file=" + config, "--storage.tsdb.path=" + dir + "/data",
        "--web.listen-address=127.0.0.1:" + std::to_string(port), "--log.level=warn"};
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    int log = open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      dup2(log, 1);
      dup2(log, 2);
      execv(args[0], args.data());
      _exit(127);
    }
    close(log);
  }
  ~Prometheus() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  // Runs an instant query; the API's JSON answer ("" on failure).
  std::string Query(const std::string& promql) const {
    auto r = paddock::testing::Run({"/usr/bin/curl", "-sS", "--fail", "--max-time", "5", "-G",
                                    "--data-urlencode", "query=" + promql,
                                    "http://127.0.0.1:" + std::to_string(port_) + "/api/v1/query"});
    return r.exit_code == 0 ? r.out : "";
  }
  std::string Log() const {
    std::ifstream in(log_);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

 private:
  int port_;
  std::string log_;
  pid_t pid_ = -1;
};

}  // namespace

TEST_CASE("a real Prometheus server scrapes paddockd and finds its series", "[metrics]") {
  if (access(kPrometheus, X_OK) != 0) {
    if (OnCi()) FAIL("prometheus missing on CI: scripts/install-deps installs it");
    WARN("prometheus not installed (apt install prometheus): skipping the scrape test");
    return;
  }
  paddock::testing::Host host;
  host.AddPlugin(BundledPlugin("hello"), "hello");
  REQUIRE(host.Start());
  REQUIRE(host.WaitForState("hello", v1::STATE_SERVING, 15));
  REQUIRE(host.Ctl({"call", "hello", "Greet", "{}"}).exit_code == 0);
  const std::string addr = MetricsAddress(host);
  REQUIRE_FALSE(addr.empty());

  TempDir dir;
  int port = FreePort();
  REQUIRE(port > 0);
  Prometheus prom(dir.path(), addr, port);
  INFO(prom.Log());

  // The scrape target is up, and the series carry the right labels and values.
  std::string answer;
  auto has = [&](const std::string& promql, const std::string& needle) {
    answer = prom.Query(promql);
    return answer.find(needle) != std::string::npos;
  };
  CHECK(WaitFor(
      [&] {
        return has("up{job=\"paddock\"}", "\"value\":[") &&
               answer.find("\"1\"]") != std::string::npos;
      },
      12));
  INFO(answer);
  CHECK(WaitFor(
      [&] {
        return has("paddock_host_plugin_state{plugin=\"hello\",state=\"serving\"}", "\"1\"]");
      },
      5));
  CHECK(WaitFor(
      [&] {
        return has("paddock_plugin_greetings_total", "\"plugin\":\"hello\"") &&
               answer.find("\"1\"]") != std::string::npos;
      },
      5));
  CHECK(WaitFor(
      [&] {
        return has("sum(paddock_host_rpc_requests_total{plugin=\"hello\",code=\"OK\"})", "\"1\"]");
      },
      5));
  CHECK(has("count(paddock_host_plugin_memory_bytes{plugin=\"hello\"} > 0)", "\"1\"]"));
  // Prometheus ingested the whole answer: nothing dropped for being malformed.
  CHECK(has("scrape_samples_scraped{job=\"paddock\"} > 50", "\"value\":["));
}
