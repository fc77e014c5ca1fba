// The gRPC service through a real in-process server and client: Samples streams (backlog,
// filter, limit, drain), Stats, SetPolicy.
#include "service.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <thread>

#include "plugins/http-sampler/samples.h"

namespace {

using paddock::http_sampler::Aggregates;
using paddock::http_sampler::PolicySink;
using paddock::http_sampler::PolicyTable;
using paddock::http_sampler::SampleHub;
using paddock::http_sampler::SamplerService;
using paddock::http_sampler::Telemetry;
namespace v1 = paddock::http_sampler::v1;

class NullSink : public PolicySink {
 public:
  void WritePort(uint32_t, hs_policy) override {}
  absl::Status ResetRule(uint32_t) override { return absl::OkStatus(); }
};

class FakeTelemetry : public Telemetry {
 public:
  absl::StatusOr<std::vector<hs_counters>> Counters() const override {
    std::vector<hs_counters> c(HS_RULES);
    c[0] = {100, 10, 1, 9};
    c[1] = {50, 50, 0, 50};
    return c;
  }
  std::vector<std::string> Interfaces() const override { return {"lo"}; }
  uint64_t Unanswered() const override { return 3; }
  uint64_t BadRecords() const override { return 0; }
  bool Draining() const override { return draining.load(); }
  uint64_t NowNs() const override { return 1000000000000ull; }
  std::atomic<bool> draining{false};
};

struct Server {
  NullSink sink;
  PolicyTable policy{&sink};
  SampleHub hub;
  Aggregates aggregates{60};
  FakeTelemetry telemetry;
  SamplerService service{&policy, &hub, &aggregates, &telemetry};
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<v1::HttpSampler::Stub> stub;

  Server() {
    grpc::ServerBuilder b;
    b.RegisterService(&service);
    server = b.BuildAndStart();
    REQUIRE(server != nullptr);
    stub = v1::HttpSampler::NewStub(server->InProcessChannel(grpc::ChannelArguments()));
  }
  ~Server() {
    hub.Close();
    server->Shutdown();
  }
};

std::vector<paddock::http_sampler::Completed> S(const std::string& path, uint16_t status) {
  return {paddock::http_sampler::testing::MakeCompleted(HS_METHOD_GET, path, "h", status, 150)};
}

}  // namespace

TEST_CASE("Samples streams the backlog then live samples up to the limit", "[service]") {
  Server srv;
  srv.hub.Publish(S("/a", 200));
  srv.hub.Publish(S("/skip", 500));
  srv.hub.Publish(S("/b", 200));
  grpc::ClientContext ctx;
  v1::SamplesRequest req;
  req.set_backlog(10);
  req.set_status(200);
  req.set_limit(3);
  auto reader = srv.stub->Samples(&ctx, req);
  std::thread live([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    srv.hub.Publish(S("/c", 500));
    srv.hub.Publish(S("/d", 200));
  });
  std::vector<std::string> paths;
  v1::Sample s;
  while (reader->Read(&s)) paths.push_back(s.path());
  live.join();
  CHECK(reader->Finish().ok());
  CHECK(paths == std::vector<std::string>{"/a", "/b", "/d"});
}

TEST_CASE("Samples ends when the plugin drains", "[service]") {
  Server srv;
  grpc::ClientContext ctx;
  auto reader = srv.stub->Samples(&ctx, v1::SamplesRequest());
  std::thread drain([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    srv.hub.Publish(S("/x", 200));
    srv.telemetry.draining = true;
  });
  v1::Sample s;
  int n = 0;
  while (reader->Read(&s)) ++n;
  drain.join();
  CHECK(n == 1);
  CHECK(reader->Finish().ok());
}

TEST_CASE("Samples refuses a backlog beyond what is kept", "[service]") {
  Server srv;
  grpc::ClientContext ctx;
  v1::SamplesRequest req;
  req.set_backlog(SampleHub::kRecent + 1);
  auto reader = srv.stub->Samples(&ctx, req);
  v1::Sample s;
  CHECK(!reader->Read(&s));
  CHECK(reader->Finish().error_code() == grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_CASE("SetPolicy replaces the policy; Stats reports it with counters", "[service]") {
  Server srv;
  grpc::ClientContext c1;
  v1::SetPolicyRequest set;
  set.mutable_policy()->set_default_rate_ppm(10000);
  (*set.mutable_policy()->mutable_port_rate_ppm())[8080] = 1000000;
  v1::SetPolicyReply set_reply;
  REQUIRE(srv.stub->SetPolicy(&c1, set, &set_reply).ok());
  CHECK(set_reply.policy().default_rate_ppm() == 10000);

  grpc::ClientContext c2;
  v1::SetPolicyRequest bad;
  (*bad.mutable_policy()->mutable_port_rate_ppm())[70000] = 1;
  v1::SetPolicyReply bad_reply;
  grpc::Status st = srv.stub->SetPolicy(&c2, bad, &bad_reply);
  CHECK(st.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(st.error_message().find("70000") != std::string::npos);

  srv.aggregates.Add(S("/a", 200), srv.telemetry.NowNs());
  grpc::ClientContext c3;
  v1::StatsReply stats;
  REQUIRE(srv.stub->Stats(&c3, v1::StatsRequest(), &stats).ok());
  CHECK(stats.policy().default_rate_ppm() == 10000);
  CHECK(stats.policy().port_rate_ppm().at(8080) == 1000000);
  CHECK(stats.total().seen() == 150);
  CHECK(stats.total().sampled() == 60);
  REQUIRE(stats.rules_size() == 2);
  CHECK(stats.rules(0).port() == 0);
  CHECK(stats.rules(0).counters().seen() == 100);
  CHECK(stats.rules(1).port() == 8080);
  CHECK(stats.rules(1).counters().sampled() == 50);
  CHECK(stats.window_samples() == 1);
  CHECK(stats.latency().p50_us() == 150);
  CHECK(stats.unanswered() == 3);
  CHECK(stats.interfaces(0) == "lo");
}
