// The plugin's callbacks with a fake SDK context (as root: it loads and attaches for
// real): config snapshots update the kernel's policy map in place, a bad snapshot changes
// nothing, Shutdown leaves no filter behind.
#include "sampler_plugin.h"

#include <bpf/bpf.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "plugins/http-sampler/packets.h"
#include "tc_filter.h"

namespace {

using paddock::ConfigSnapshot;
using paddock::http_sampler::FilterPresent;
using paddock::http_sampler::HttpSamplerPlugin;
using paddock::http_sampler::ParseSettings;
using paddock::http_sampler::TcFilter;
using paddock::http_sampler::testing::Flow;
using paddock::http_sampler::testing::TcpPacket;

class FakeContext : public paddock::Context {
 public:
  explicit FakeContext(std::string data_dir) : data_dir_(std::move(data_dir)) {}
  void AddService(grpc::Service* s) override { services.push_back(s); }
  const std::string& name() const override { return name_; }
  uint64_t generation() const override { return 1; }
  const std::string& data_dir() const override { return data_dir_; }
  std::shared_ptr<const ConfigSnapshot> config() const override {
    return std::make_shared<ConfigSnapshot>(0, "{}");
  }
  absl::StatusOr<paddock::UniqueFd> TakeSocket(const std::string&) override {
    return absl::NotFoundError("none");
  }
  paddock::MetricsRegistry& metrics() override { return metrics_; }
  bool draining() const override { return false; }
  std::vector<grpc::Service*> services;

 private:
  std::string name_ = "http-sampler";
  std::string data_dir_;
  paddock::MetricsRegistry metrics_;
};

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/hs-plugin-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

// Runs the ingress program once on a request to `port`; true if it was sampled.
bool Sampled(HttpSamplerPlugin& p, uint16_t port) {
  auto before = p.program()->ReadCounters();
  REQUIRE(before.ok());
  std::string pkt = TcpPacket(Flow{"127.0.0.1", "127.0.0.1", 1234, port}, "GET / HTTP/1.1\r\n\r\n");
  bpf_test_run_opts opts{};
  opts.sz = sizeof(opts);
  opts.data_in = pkt.data();
  opts.data_size_in = static_cast<uint32_t>(pkt.size());
  REQUIRE(bpf_prog_test_run_opts(p.program()->ingress_fd(), &opts) == 0);
  auto after = p.program()->ReadCounters();
  REQUIRE(after.ok());
  uint64_t b = 0, a = 0;
  for (const auto& c : *before) b += c.sampled;
  for (const auto& c : *after) a += c.sampled;
  return a > b;
}

}  // namespace

TEST_CASE("config snapshots are validated whole", "[plugin]") {
  CHECK(ParseSettings(ConfigSnapshot(1, "{\"interfaces\": [\"lo\"]}")).ok());
  auto empty = ParseSettings(ConfigSnapshot(1, "{}"));
  CHECK(empty.status().message().find("interfaces") != std::string::npos);
  auto unknown = ParseSettings(ConfigSnapshot(1, "{\"interfaces\": [\"lo\"], \"rate\": 1}"));
  CHECK(!unknown.ok());
  auto no_if = ParseSettings(ConfigSnapshot(1, "{\"interfaces\": [\"no-such-if0\"]}"));
  CHECK(no_if.status().message().find("no-such-if0") != std::string::npos);
  auto bad_rate = ParseSettings(
      ConfigSnapshot(1, "{\"interfaces\": [\"lo\"], \"port_rate_ppm\": {\"80\": 1000001}}"));
  CHECK(bad_rate.status().message().find("port 80") != std::string::npos);
  auto bad_timeout = ParseSettings(
      ConfigSnapshot(1, "{\"interfaces\": [\"lo\"], \"response_timeout_ms\": 700000}"));
  CHECK(!bad_timeout.ok());
  auto ok = ParseSettings(ConfigSnapshot(
      1, "{\"interfaces\": [\"lo\"], \"default_rate_ppm\": 7, \"port_rate_ppm\": {\"8080\": 9}}"));
  REQUIRE(ok.ok());
  CHECK(ok->policy.default_rate_ppm == 7);
  CHECK(ok->policy.port_rate_ppm.at(8080) == 9);
  CHECK(ok->timeout_ns == 5000000000ull);
  CHECK(ok->window_s == 60);
}

TEST_CASE("Configure rewrites the policy map in place; a bad snapshot changes nothing",
          "[plugin][root]") {
  if (geteuid() != 0) {
    WARN("skipped: loading and attaching the sampler needs root");
    return;
  }
  TempDir dir;
  FakeContext ctx(dir.path);
  std::vector<TcFilter> filters;
  {
    HttpSamplerPlugin plugin;
    auto init = plugin.Init(ctx);
    INFO(init.ToString());
    REQUIRE(init.ok());
    CHECK(ctx.services.size() == 1);
    uint32_t in_id = plugin.program()->ingress_id();
    REQUIRE(plugin
                .Configure(ConfigSnapshot(
                    1, "{\"interfaces\": [\"lo\"], \"port_rate_ppm\": {\"8080\": 1000000}}"))
                .ok());
    filters = plugin.filters();
    REQUIRE(filters.size() == 1);  // lo: hs_loopback on ingress sees both directions.
    CHECK(filters[0].ingress);
    CHECK(filters[0].prog_id == plugin.program()->loopback_id());
    for (const TcFilter& f : filters) CHECK(FilterPresent(f));
    CHECK(plugin.Interfaces() == std::vector<std::string>{"lo"});
    CHECK(Sampled(plugin, 8080));
    CHECK(!Sampled(plugin, 9090));

    REQUIRE(plugin
                .Configure(ConfigSnapshot(2,
                                          "{\"interfaces\": [\"lo\"], \"default_rate_ppm\": "
                                          "1000000, \"port_rate_ppm\": {\"8080\": 0}}"))
                .ok());
    CHECK(!Sampled(plugin, 8080));
    CHECK(Sampled(plugin, 9090));
    // In place: the same programs, still attached by the same filters.
    CHECK(plugin.program()->ingress_id() == in_id);
    for (const TcFilter& f : filters) CHECK(FilterPresent(f));
    CHECK(plugin.program()->ReadPort(8080).rate_ppm == 0);
    CHECK(plugin.program()->ReadPort(1).rate_ppm == 1000000);

    auto bad = plugin.Configure(ConfigSnapshot(
        3, "{\"interfaces\": [\"lo\"], \"default_rate_ppm\": 0, \"port_rate_ppm\": {\"0\": 5}}"));
    CHECK(!bad.ok());
    CHECK(Sampled(plugin, 9090));  // The old policy is in force.
    CHECK(!plugin.Configure(ConfigSnapshot(4, "{\"interfaces\": [\"no-such-if0\"]}")).ok());
    for (const TcFilter& f : filters) CHECK(FilterPresent(f));

    plugin.Drain();
    plugin.Shutdown();
    for (const TcFilter& f : filters) CHECK(!FilterPresent(f));
  }
}
