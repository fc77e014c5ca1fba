// http-sampler's draw against real traffic: 1% over >= 100,000 wrk requests lies in the
// binomial interval a correct sampler leaves with probability < 1e-6; a live SetPolicy to 0 samples
// nothing (still counts).
#include <catch2/catch.hpp>
#include <cmath>

#include "integration/http_sampler_fixture.h"

using paddock::testing::CmdResult;
using paddock::testing::Host;
using paddock::testing::Run;
using paddock::testing::WaitFor;
using paddock::testing::sampler::CanRun;
using paddock::testing::sampler::GracefulStop;
using paddock::testing::sampler::Nginx;
using paddock::testing::sampler::Num;
using paddock::testing::sampler::ParseJson;
using paddock::testing::sampler::PortConfig;
using paddock::testing::sampler::RuleCounters;
using paddock::testing::sampler::SamplerSection;
using paddock::testing::sampler::Stats;
namespace v1 = paddock::v1;

TEST_CASE("1% of >= 100000 real requests, then 0% set live", "[http-sampler][stats]") {
  if (!CanRun()) return;
  if (access("/usr/bin/wrk", X_OK) != 0) FAIL("wrk is not installed (scripts/install-deps)");
  Nginx nginx;
  Host host(SamplerSection(PortConfig(nginx.port(), 10000)));
  GracefulStop graceful(host);
  host.AddPlugin(paddock::testing::BundledPlugin("http-sampler"), "http-sampler");
  REQUIRE(host.Start());
  REQUIRE(host.WaitForState("http-sampler", v1::STATE_SERVING, 20));

  // wrk runs by time: repeat short runs until the kernel has seen 100,000 requests.
  google::protobuf::Struct rule;
  for (int round = 0; round < 20; ++round) {
    CmdResult w = Run({"/usr/bin/wrk", "-t1", "-c16", "-d2s", nginx.Url("/hello")}, "", 30);
    REQUIRE(w.exit_code == 0);
    rule = RuleCounters(Stats(host), nginx.port());
    if (Num(rule, "seen") >= 100000) break;
  }
  double n = Num(rule, "seen"), k = Num(rule, "sampled"), p = 0.01;
  REQUIRE(n >= 100000);
  double mean = n * p, sd = std::sqrt(n * p * (1 - p));
  INFO("seen " << n << " sampled " << k << " expected " << mean << " +- " << 4.8916 * sd);
  CHECK(std::fabs(k - mean) <= 4.8916 * sd);
  CHECK(Num(rule, "ringFull") == 0);

  // Rate 0 for the port, live: the map changes in place, the generation does not.
  uint64_t generation = host.Status("http-sampler").generation();
  google::protobuf::Struct set =
      ParseJson(host.Ctl({"call", "http-sampler", "SetPolicy",
                          "{\"policy\": {\"default_rate_ppm\": 0, \"port_rate_ppm\": {\"" +
                              std::to_string(nginx.port()) + "\": 0}}}"}));
  CHECK(Num(set, "policy.portRatePpm." + std::to_string(nginx.port())) == 0);
  REQUIRE(Run({"/usr/bin/wrk", "-t1", "-c4", "-d1s", nginx.Url("/hello")}, "", 30).exit_code == 0);
  google::protobuf::Struct after = RuleCounters(Stats(host), nginx.port());
  CHECK(Num(after, "seen") > n + 1000);
  CHECK(Num(after, "sampled") == k);
  CHECK(host.Status("http-sampler").generation() == generation);

  // A bad policy is refused with the reason, and the old one stays.
  CmdResult bad = host.Ctl(
      {"call", "http-sampler", "SetPolicy", "{\"policy\": {\"default_rate_ppm\": 2000000}}"});
  CHECK(bad.exit_code != 0);
  CHECK(bad.err.find("default_rate_ppm") != std::string::npos);
}
