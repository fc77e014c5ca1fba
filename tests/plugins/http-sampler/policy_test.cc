#include "policy.h"

#include <catch2/catch.hpp>
#include <map>

namespace {

using paddock::http_sampler::Policy;
using paddock::http_sampler::PolicySink;
using paddock::http_sampler::PolicyTable;
using paddock::http_sampler::ValidatePolicy;

// Records what the table writes, as the kernel array would hold it.
class FakeSink : public PolicySink {
 public:
  void WritePort(uint32_t port, hs_policy v) override {
    entries[port] = v;
    ++writes;
  }
  absl::Status ResetRule(uint32_t rule) override {
    resets.push_back(rule);
    return absl::OkStatus();
  }
  hs_policy At(uint32_t port) const {
    auto it = entries.find(port);
    return it == entries.end() ? hs_policy{0, 0} : it->second;
  }
  std::map<uint32_t, hs_policy> entries;
  std::vector<uint32_t> resets;
  int writes = 0;
};

}  // namespace

TEST_CASE("policy validation names the problem", "[policy]") {
  Policy p;
  CHECK(ValidatePolicy(p).ok());
  p.default_rate_ppm = 1000001;
  CHECK(ValidatePolicy(p).message().find("default_rate_ppm") != std::string::npos);
  p.default_rate_ppm = 1000000;
  p.port_rate_ppm[0] = 1;
  CHECK(ValidatePolicy(p).message().find("port 0") != std::string::npos);
  p.port_rate_ppm = {{65536, 1}};
  CHECK(!ValidatePolicy(p).ok());
  p.port_rate_ppm = {{80, 2000000}};
  CHECK(ValidatePolicy(p).message().find("port 80") != std::string::npos);
  p.port_rate_ppm.clear();
  for (uint32_t port = 1; port <= HS_RULES; ++port) p.port_rate_ppm[port] = 1;
  CHECK(ValidatePolicy(p).message().find("at most 63") != std::string::npos);
  p.port_rate_ppm.erase(1);
  CHECK(ValidatePolicy(p).ok());
}

TEST_CASE("the table writes every port, then only what changes", "[policy]") {
  FakeSink sink;
  PolicyTable table(&sink);
  Policy p;
  p.default_rate_ppm = 10000;
  p.port_rate_ppm = {{8080, 1000000}, {443, 5}};
  REQUIRE(table.Apply(p).ok());
  CHECK(sink.writes == HS_PORTS);
  CHECK(sink.At(1).rate_ppm == 10000);
  CHECK(sink.At(1).rule == 0);
  CHECK(sink.At(8080).rate_ppm == 1000000);
  CHECK(sink.At(443).rate_ppm == 5);
  CHECK(sink.At(443).rule != sink.At(8080).rule);
  CHECK(sink.At(443).rule != 0);
  CHECK(sink.resets.size() == 2);
  CHECK(table.current() == p);

  // Changing one rule's rate rewrites that port only and keeps its counter set.
  uint32_t rule_8080 = sink.At(8080).rule;
  sink.writes = 0;
  sink.resets.clear();
  p.port_rate_ppm[8080] = 0;
  REQUIRE(table.Apply(p).ok());
  CHECK(sink.writes == 1);
  CHECK(sink.At(8080).rate_ppm == 0);
  CHECK(sink.At(8080).rule == rule_8080);
  CHECK(sink.resets.empty());

  // A removed rule falls back to the default; its set is reused (reset) by a new port.
  uint32_t rule_443 = sink.At(443).rule;
  p.port_rate_ppm.erase(443);
  p.port_rate_ppm[9000] = 7;
  REQUIRE(table.Apply(p).ok());
  CHECK(sink.At(443).rate_ppm == 10000);
  CHECK(sink.At(443).rule == 0);
  CHECK(sink.At(9000).rule == rule_443);
  CHECK(sink.resets == std::vector<uint32_t>{rule_443});

  auto rules = table.rules();
  REQUIRE(rules.size() == 3);
  CHECK(rules[0].port == 0);
  CHECK(rules[0].rate_ppm == 10000);
  CHECK(rules[1].port == 8080);
  CHECK(rules[2].port == 9000);
}

TEST_CASE("an invalid policy changes nothing", "[policy]") {
  FakeSink sink;
  PolicyTable table(&sink);
  Policy good;
  good.default_rate_ppm = 3;
  REQUIRE(table.Apply(good).ok());
  sink.writes = 0;
  Policy bad;
  bad.port_rate_ppm[0] = 5;
  CHECK(table.Apply(bad).code() == absl::StatusCode::kInvalidArgument);
  CHECK(sink.writes == 0);
  CHECK(table.current() == good);
}
