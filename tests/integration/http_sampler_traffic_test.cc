// http-sampler against real traffic: nginx on loopback, curl requests over IPv4 and IPv6
// at 100%; non-HTTP TCP and UDP to the same port are ignored. Runs the real paddockd and
// the confined plugin (CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON, host network).
#include <catch2/catch.hpp>

#include "integration/http_sampler_fixture.h"

using paddock::testing::CmdResult;
using paddock::testing::Host;
using paddock::testing::WaitFor;
using paddock::testing::sampler::CanRun;
using paddock::testing::sampler::Counts;
using paddock::testing::sampler::Field;
using paddock::testing::sampler::GracefulStop;
using paddock::testing::sampler::Nginx;
using paddock::testing::sampler::Num;
using paddock::testing::sampler::PortConfig;
using paddock::testing::sampler::RuleCounters;
using paddock::testing::sampler::SamplerSection;
using paddock::testing::sampler::Stats;
namespace v1 = paddock::v1;

namespace {

struct Req {
  std::string method, path, host;
  bool v6;
  int status;
};

}  // namespace

TEST_CASE("at 100% every curl request appears with method, path, host, status, latency",
          "[http-sampler]") {
  if (!CanRun()) return;
  Nginx nginx;
  Host host(SamplerSection(PortConfig(nginx.port(), 1000000)));
  GracefulStop graceful(host);
  host.AddPlugin(paddock::testing::BundledPlugin("http-sampler"), "http-sampler");
  REQUIRE(host.Start());
  INFO(host.Log());
  REQUIRE(host.WaitForState("http-sampler", v1::STATE_SERVING, 20));

  const std::vector<Req> reqs = {
      {"GET", "/hello?n=1", "a.example", false, 200},
      {"POST", "/items/1", "b.example", false, 201},
      {"DELETE", "/gone", "c.example", false, 410},
      {"PUT", "/items/2", "a.example", false, 201},
      {"GET", "/nope", "a.example", false, 404},
      {"OPTIONS", "/empty", "d.example", false, 204},
      {"GET", "/hello?n=6", "v6.example", true, 200},
      {"PATCH", "/items/6", "v6.example", true, 201},
      {"HEAD", "/hello", "v6.example", true, 200},
  };
  for (const Req& r : reqs) {
    std::vector<std::string> args = {"-o",           "/dev/null", "-w",
                                     "%{http_code}", "-H",        "Host: " + r.host};
    if (r.method == "HEAD") {
      args.push_back("-I");
    } else {
      args.insert(args.end(), {"-X", r.method});
    }
    if (r.method == "POST" || r.method == "PUT" || r.method == "PATCH") {
      args.insert(args.end(), {"--data", "x=1"});
    }
    args.push_back(nginx.Url(r.path, r.v6));
    CmdResult c = Nginx::Curl(args);
    INFO(r.method << " " << r.path << ": " << c.err);
    REQUIRE(c.out == std::to_string(r.status));
  }

  // Responses are reported once seen; give the reader a moment.
  google::protobuf::Struct stats;
  REQUIRE(WaitFor(
      [&] {
        stats = Stats(host);
        return Num(stats, "windowSamples") >= reqs.size();
      },
      10));
  INFO(stats.DebugString());
  google::protobuf::Struct rule = RuleCounters(stats, nginx.port());
  CHECK(Num(rule, "seen") == reqs.size());
  CHECK(Num(rule, "sampled") == reqs.size());
  CHECK(Num(rule, "responses") == reqs.size());
  CHECK(Num(rule, "ringFull") == 0);
  CHECK(Num(stats, "windowSamples") == reqs.size());
  CHECK(Num(stats, "unanswered") == 0);
  CHECK(Num(stats, "badRecords") == 0);

  std::map<std::string, double> paths, hosts, methods, statuses;
  for (const Req& r : reqs) {
    paths[r.path]++;
    hosts[r.host]++;
    methods[r.method]++;
    statuses[std::to_string(r.status)]++;
  }
  CHECK(Counts(stats, "topPaths") == paths);
  CHECK(Counts(stats, "topHosts") == hosts);
  CHECK(Counts(stats, "methods") == methods);
  CHECK(Counts(stats, "statusCodes") == statuses);
  // Each request, through the Samples stream (backlog of what was seen, then the end).
  CmdResult stream = host.Ctl({"--timeout", "10", "call", "http-sampler", "Samples",
                               "{\"backlog\": 100, \"limit\": " + std::to_string(reqs.size()) +
                                   ", \"serverPort\": " + std::to_string(nginx.port()) + "}"});
  INFO(stream.out << stream.err);
  REQUIRE(stream.exit_code == 0);
  std::vector<google::protobuf::Struct> samples;
  std::istringstream lines(stream.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    google::protobuf::Struct s;
    REQUIRE(google::protobuf::util::JsonStringToMessage(line, &s).ok());
    samples.push_back(s);
  }
  REQUIRE(samples.size() == reqs.size());
  for (size_t i = 0; i < reqs.size(); ++i) {
    const Req& r = reqs[i];
    const google::protobuf::Struct& s = samples[i];  // In request order.
    INFO(r.method << " " << r.path << ": " << s.DebugString());
    CHECK(Field(s, "method").string_value() == r.method);
    CHECK(Field(s, "path").string_value() == r.path);
    CHECK(Field(s, "host").string_value() == r.host);
    CHECK(Num(s, "status") == r.status);
    CHECK(Num(s, "latencyUs") > 0);
    CHECK(Num(s, "latencyUs") < 1e6);
    CHECK(Num(s, "serverPort") == nginx.port());
    CHECK(Num(s, "ipVersion") == (r.v6 ? 6 : 4));
    CHECK(Field(s, "serverAddress").string_value() == (r.v6 ? "::1" : "127.0.0.1"));
    CHECK(Field(s, "clientAddress").string_value() == (r.v6 ? "::1" : "127.0.0.1"));
    CHECK(Field(s, "httpVersionSeen").bool_value());
  }

  // Loopback latency: above zero, well under a second.
  CHECK(Num(stats, "latency.count") == reqs.size());
  CHECK(Num(stats, "latency.p50Us") > 0);
  CHECK(Num(stats, "latency.maxUs") < 1e6);
}

TEST_CASE("non-HTTP TCP and UDP to the sampled port are ignored", "[http-sampler]") {
  if (!CanRun()) return;
  Nginx nginx;
  Host host(SamplerSection(PortConfig(nginx.port(), 1000000)));
  GracefulStop graceful(host);
  host.AddPlugin(paddock::testing::BundledPlugin("http-sampler"), "http-sampler");
  REQUIRE(host.Start());
  REQUIRE(host.WaitForState("http-sampler", v1::STATE_SERVING, 20));

  std::string port = std::to_string(nginx.port());
  // Raw TCP: a TLS-looking hello, an SSH banner and lowercase "get" (nginx answers 400,
  // which matches no sampled request).
  for (const std::string& payload :
       {std::string("\\x16\\x03\\x01\\x00\\x05hello"), std::string("SSH-2.0-test\\r\\n"),
        std::string("get / HTTP/1.1\\r\\n\\r\\n")}) {
    CmdResult r =
        paddock::testing::Run({"/bin/bash", "-c",
                               "exec 3<>/dev/tcp/127.0.0.1/" + port + " && printf '" + payload +
                                   "' >&3 && timeout 2 cat <&3 >/dev/null; true"});
    CHECK(r.exit_code == 0);
  }
  // UDP carrying an HTTP request, to the same port (v4 and v6). Nobody listens on UDP, so
  // bash may report the ICMP refusal; the datagram has passed both hooks by then.
  for (const char* addr : {"127.0.0.1", "::1"}) {
    CmdResult r = paddock::testing::Run(
        {"/bin/bash", "-c",
         std::string("printf 'GET / HTTP/1.1\\r\\nHost: udp\\r\\n\\r\\n' > /dev/udp/") + addr +
             "/" + port + "; true"});
    CHECK(r.exit_code == 0);
  }
  // One real request last: once it is reported, everything before it was processed.
  REQUIRE(Nginx::Curl({"-o", "/dev/null", nginx.Url("/hello")}).exit_code == 0);
  google::protobuf::Struct stats;
  REQUIRE(WaitFor(
      [&] {
        stats = Stats(host);
        return Num(stats, "windowSamples") >= 1;
      },
      10));
  INFO(stats.DebugString());
  google::protobuf::Struct rule = RuleCounters(stats, nginx.port());
  CHECK(Num(rule, "seen") == 1);
  CHECK(Num(rule, "sampled") == 1);
  CHECK(Counts(stats, "topPaths") == std::map<std::string, double>{{"/hello", 1}});
  CHECK(Counts(stats, "statusCodes") == std::map<std::string, double>{{"200", 1}});
}
