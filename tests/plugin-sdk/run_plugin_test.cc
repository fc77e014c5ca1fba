// End-to-end tests of the SDK: spawn the real hello and sdk-test plugins the way paddockd
// does, bootstrap them over fd 3 and talk to them over mutual TLS as the host.
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <thread>

#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "hello.grpc.pb.h"
#include "paddock/v1/lifecycle.grpc.pb.h"
#include "plugin-sdk/frame.h"
#include "plugin-sdk/plugin_process.h"
#include "sdk_test.grpc.pb.h"

namespace paddock::testing {
namespace {

const std::string kHello = PADDOCK_BUILD_DIR "/lib/paddock/plugins/hello";
const std::string kSdkTest = PADDOCK_BUILD_DIR "/lib/paddock/test-plugins/sdk-test";

// A plugin spawned, bootstrapped and ready, plus a host channel to it.
struct Running {
  TempDir dir;
  TestPki pki = TestPki::Make();
  std::string socket;
  v1::Bootstrap boot;
  std::unique_ptr<PluginProcess> proc;
  std::shared_ptr<grpc::Channel> channel;
  absl::Duration startup;

  Running(const std::string& binary, const std::string& name, const std::string& config = "{}") {
    socket = dir.path() + "/plugin.sock";
    boot = MakeBootstrap(pki, name, 7, socket);
    boot.mutable_config()->set_json(config);
    const absl::Time t0 = absl::Now();
    auto p = PluginProcess::Spawn(binary);
    REQUIRE(p.ok());
    proc = std::move(*p);
    REQUIRE(sdk::WriteFrame(proc->bootstrap_fd(), boot).ok());
    v1::BootstrapReply reply;
    absl::Status st = sdk::ReadFrame(proc->bootstrap_fd(), &reply, absl::Seconds(10));
    startup = absl::Now() - t0;
    INFO(proc->Output());
    REQUIRE(st.ok());
    REQUIRE(reply.error() == "");
    REQUIRE(reply.ready());
    channel = MakeChannel(socket, pki.ca->certificate_pem(), pki.host_cert, boot.plugin_identity());
  }

  int Exit(absl::Duration timeout = absl::Seconds(10)) {
    auto status = proc->Wait(timeout);
    REQUIRE(status.ok());
    INFO(proc->Output());
    REQUIRE(WIFEXITED(*status));
    return WEXITSTATUS(*status);
  }
};

std::unique_ptr<grpc::ClientContext> Ctx(int ms = 5000) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(ms));
  return ctx;
}

grpc::Status Greet(const std::shared_ptr<grpc::Channel>& ch, const std::string& name,
                   hello::v1::GreetReply* reply) {
  hello::v1::GreetRequest req;
  req.set_name(name);
  return hello::v1::Hello::NewStub(ch)->Greet(Ctx().get(), req, reply);
}

TEST_CASE("hello serves Greet, Describe, Configure and health over mTLS", "[e2e]") {
  Running r(kHello, "hello");
  WARN("spawn to ready: " << absl::FormatDuration(r.startup));

  hello::v1::GreetReply greet;
  REQUIRE(Greet(r.channel, "Ada", &greet).ok());
  CHECK(greet.message() == "Hello, Ada!");
  CHECK(greet.generation() == 7);

  auto lifecycle = v1::PluginLifecycle::NewStub(r.channel);
  v1::DescribeResponse desc;
  REQUIRE(lifecycle->Describe(Ctx().get(), {}, &desc).ok());
  CHECK(desc.name() == "hello");
  CHECK(desc.version() == "1.0.0");
  CHECK(desc.generation() == 7);
  CHECK(desc.config_version() == 1);
  CHECK(desc.inflight_calls() == 0);

  v1::ConfigSnapshot good;
  good.set_version(2);
  good.set_json(R"({"greeting": "Hi"})");
  v1::ConfigureResponse cr;
  REQUIRE(lifecycle->Configure(Ctx().get(), good, &cr).ok());
  CHECK(cr.accepted());
  CHECK(cr.version_in_force() == 2);
  REQUIRE(Greet(r.channel, "Ada", &greet).ok());
  CHECK(greet.message() == "Hi, Ada!");

  v1::ConfigSnapshot bad;
  bad.set_version(3);
  bad.set_json(R"({"greeting": "Yo", "bogus": 1})");
  REQUIRE(lifecycle->Configure(Ctx().get(), bad, &cr).ok());
  CHECK_FALSE(cr.accepted());
  CHECK(cr.error().find("bogus") != std::string::npos);
  CHECK(cr.version_in_force() == 2);
  REQUIRE(Greet(r.channel, "Ada", &greet).ok());
  CHECK(greet.message() == "Hi, Ada!");

  v1::ConfigSnapshot old;
  old.set_version(1);
  old.set_json(R"({"greeting": "Old"})");
  REQUIRE(lifecycle->Configure(Ctx().get(), old, &cr).ok());
  CHECK_FALSE(cr.accepted());
  CHECK(cr.version_in_force() == 2);

  auto health = grpc::health::v1::Health::NewStub(r.channel);
  grpc::health::v1::HealthCheckRequest hreq;
  grpc::health::v1::HealthCheckResponse hresp;
  REQUIRE(health->Check(Ctx().get(), hreq, &hresp).ok());
  CHECK(hresp.status() == grpc::health::v1::HealthCheckResponse::SERVING);
  hreq.set_service("paddock.hello.v1.Hello");
  REQUIRE(health->Check(Ctx().get(), hreq, &hresp).ok());
  CHECK(hresp.status() == grpc::health::v1::HealthCheckResponse::SERVING);

  REQUIRE(kill(r.proc->pid(), SIGTERM) == 0);
  CHECK(r.Exit() == 0);
  const std::string err = r.proc->Output();
  CHECK(err.find(R"("msg":"stopped")") != std::string::npos);
  CHECK(err.find("PRIVATE KEY") == std::string::npos);
}

TEST_CASE("only the host identity from the host CA may call", "[e2e]") {
  Running r(kHello, "hello");
  hello::v1::GreetReply greet;

  SECTION("same CA, another identity: refused per call") {
    auto intruder = r.pki.ca->Issue("intruder.g1.plugin.paddock", absl::Hours(1));
    REQUIRE(intruder.ok());
    auto ch =
        MakeChannel(r.socket, r.pki.ca->certificate_pem(), *intruder, r.boot.plugin_identity());
    grpc::Status st = Greet(ch, "x", &greet);
    CHECK(st.error_code() == grpc::StatusCode::UNAUTHENTICATED);
    grpc::health::v1::HealthCheckResponse hresp;
    st = grpc::health::v1::Health::NewStub(ch)->Check(Ctx().get(), {}, &hresp);
    CHECK(st.error_code() == grpc::StatusCode::UNAUTHENTICATED);
  }
  SECTION("a plugin identity (same CA) is not the host either") {
    auto other = r.pki.ca->Issue(host::PluginIdentity("hello", 8), absl::Hours(1));
    REQUIRE(other.ok());
    auto ch = MakeChannel(r.socket, r.pki.ca->certificate_pem(), *other, r.boot.plugin_identity());
    CHECK(Greet(ch, "x", &greet).error_code() == grpc::StatusCode::UNAUTHENTICATED);
  }
  SECTION("no client certificate: no connection") {
    auto ch = MakeChannel(r.socket, r.pki.ca->certificate_pem(), host::IssuedCert{},
                          r.boot.plugin_identity());
    CHECK(Greet(ch, "x", &greet).error_code() == grpc::StatusCode::UNAVAILABLE);
  }
  SECTION("host identity from another CA: no connection") {
    TestPki other = TestPki::Make();
    auto ch = MakeChannel(r.socket, r.pki.ca->certificate_pem(), other.host_cert,
                          r.boot.plugin_identity());
    CHECK(Greet(ch, "x", &greet).error_code() == grpc::StatusCode::UNAVAILABLE);
  }
  SECTION("the host checks the plugin's identity too") {
    auto ch = MakeChannel(r.socket, r.pki.ca->certificate_pem(), r.pki.host_cert,
                          host::PluginIdentity("hello", 6));
    CHECK(Greet(ch, "x", &greet).error_code() == grpc::StatusCode::UNAVAILABLE);
  }
  // The real host still gets through afterwards.
  REQUIRE(Greet(r.channel, "Ada", &greet).ok());
}

TEST_CASE("drain waits for in-flight calls, then Shutdown exits cleanly", "[e2e]") {
  Running r(kSdkTest, "sdk-test");
  auto stub = sdktest::v1::SdkTest::NewStub(r.channel);
  auto lifecycle = v1::PluginLifecycle::NewStub(r.channel);

  auto slow = std::async(std::launch::async, [&] {
    sdktest::v1::SleepRequest req;
    req.set_ms(600);
    sdktest::v1::SleepReply reply;
    grpc::Status st = stub->Sleep(Ctx().get(), req, &reply);
    return std::make_pair(st.ok(), reply.draining());
  });
  // Wait until the call is in flight.
  v1::DescribeResponse desc;
  for (int i = 0; i < 200 && desc.inflight_calls() == 0; ++i) {
    REQUIRE(lifecycle->Describe(Ctx().get(), {}, &desc).ok());
    if (desc.inflight_calls() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(desc.inflight_calls() == 1);

  v1::DrainRequest dreq;
  dreq.set_deadline_ms(5000);
  v1::DrainResponse dresp;
  const absl::Time t0 = absl::Now();
  REQUIRE(lifecycle->Drain(Ctx(10000).get(), dreq, &dresp).ok());
  const absl::Duration waited = absl::Now() - t0;
  CHECK(dresp.remaining_calls() == 0);
  CHECK(waited > absl::Milliseconds(300));
  auto [ok, saw_draining] = slow.get();
  CHECK(ok);
  CHECK(saw_draining);

  grpc::health::v1::HealthCheckResponse hresp;
  REQUIRE(grpc::health::v1::Health::NewStub(r.channel)->Check(Ctx().get(), {}, &hresp).ok());
  CHECK(hresp.status() == grpc::health::v1::HealthCheckResponse::NOT_SERVING);

  v1::MetricsResponse metrics;
  REQUIRE(lifecycle->Metrics(Ctx().get(), {}, &metrics).ok());
  bool found = false;
  for (const auto& f : metrics.families()) {
    if (f.name() == "sleeps_total") {
      found = true;
      CHECK(f.kind() == v1::MetricFamily::COUNTER);
      REQUIRE(f.samples_size() == 1);
      CHECK(f.samples(0).value() == 1);
    }
  }
  CHECK(found);

  v1::ShutdownRequest sreq;
  sreq.set_grace_ms(2000);
  v1::ShutdownResponse sresp;
  REQUIRE(lifecycle->Shutdown(Ctx().get(), sreq, &sresp).ok());
  CHECK(r.Exit() == 0);
  const std::string err = r.proc->Output();
  CHECK(err.find("test plugin: Drain called") != std::string::npos);
  CHECK(err.find("test plugin: Shutdown called") != std::string::npos);
}

TEST_CASE("drain reports calls still in flight at its deadline", "[e2e]") {
  Running r(kSdkTest, "sdk-test");
  auto stub = sdktest::v1::SdkTest::NewStub(r.channel);
  auto slow = std::async(std::launch::async, [&] {
    sdktest::v1::SleepRequest req;
    req.set_ms(1500);
    sdktest::v1::SleepReply reply;
    return stub->Sleep(Ctx().get(), req, &reply).ok();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  v1::DrainRequest dreq;
  dreq.set_deadline_ms(100);
  v1::DrainResponse dresp;
  REQUIRE(v1::PluginLifecycle::NewStub(r.channel)->Drain(Ctx().get(), dreq, &dresp).ok());
  CHECK(dresp.remaining_calls() == 1);
  CHECK(slow.get());
}

TEST_CASE("SIGTERM lets an in-flight call finish and exits 0", "[e2e]") {
  Running r(kSdkTest, "sdk-test");
  auto stub = sdktest::v1::SdkTest::NewStub(r.channel);
  auto slow = std::async(std::launch::async, [&] {
    sdktest::v1::SleepRequest req;
    req.set_ms(400);
    sdktest::v1::SleepReply reply;
    return stub->Sleep(Ctx().get(), req, &reply).ok();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  REQUIRE(kill(r.proc->pid(), SIGTERM) == 0);
  CHECK(slow.get());
  CHECK(r.Exit() == 0);
}

TEST_CASE("a rejected initial config fails the start with the reason", "[e2e]") {
  TempDir dir;
  TestPki pki = TestPki::Make();
  v1::Bootstrap boot = MakeBootstrap(pki, "sdk-test", 1, dir.path() + "/s.sock");
  boot.mutable_config()->set_json(R"({"reject": true})");
  auto p = PluginProcess::Spawn(kSdkTest);
  REQUIRE(p.ok());
  REQUIRE(sdk::WriteFrame((*p)->bootstrap_fd(), boot).ok());
  v1::BootstrapReply reply;
  REQUIRE(sdk::ReadFrame((*p)->bootstrap_fd(), &reply, absl::Seconds(10)).ok());
  CHECK_FALSE(reply.ready());
  CHECK(reply.error().find("told to reject") != std::string::npos);
  auto status = (*p)->Wait(absl::Seconds(10));
  REQUIRE(status.ok());
  CHECK(WEXITSTATUS(*status) == 1);
}

TEST_CASE("bad bootstraps give a clear error and a non-zero exit", "[e2e]") {
  SECTION("garbage on fd 3") {
    auto p = PluginProcess::Spawn(kHello);
    REQUIRE(p.ok());
    const char garbage[] = "GET / HTTP/1.1\r\n\r\n";
    REQUIRE(write((*p)->bootstrap_fd(), garbage, sizeof(garbage) - 1) > 0);
    auto status = (*p)->Wait(absl::Seconds(10));
    REQUIRE(status.ok());
    CHECK(WEXITSTATUS(*status) == 2);
    CHECK((*p)->Output().find("exceeds the limit") != std::string::npos);
    v1::BootstrapReply reply;
    REQUIRE(sdk::ReadFrame((*p)->bootstrap_fd(), &reply, absl::Seconds(1)).ok());
    CHECK_FALSE(reply.ready());
  }
  SECTION("a bootstrap for another plugin") {
    TempDir dir;
    TestPki pki = TestPki::Make();
    auto p = PluginProcess::Spawn(kHello);
    REQUIRE(p.ok());
    REQUIRE(sdk::WriteFrame((*p)->bootstrap_fd(),
                            MakeBootstrap(pki, "other", 1, dir.path() + "/s.sock"))
                .ok());
    auto status = (*p)->Wait(absl::Seconds(10));
    REQUIRE(status.ok());
    CHECK(WEXITSTATUS(*status) == 2);
    const std::string err = (*p)->Output();
    CHECK(err.find("does not match") != std::string::npos);
    CHECK(err.find("PRIVATE KEY") == std::string::npos);
  }
  SECTION("the host closes fd 3 without a bootstrap") {
    auto p = PluginProcess::Spawn(kHello);
    REQUIRE(p.ok());
    shutdown((*p)->bootstrap_fd(), SHUT_WR);
    auto status = (*p)->Wait(absl::Seconds(10));
    REQUIRE(status.ok());
    CHECK(WEXITSTATUS(*status) == 2);
    CHECK((*p)->Output().find("peer closed") != std::string::npos);
  }
  SECTION("run by hand, without fd 3") {
    auto p = PluginProcess::Spawn(kHello, {}, /*with_bootstrap_socket=*/false);
    REQUIRE(p.ok());
    auto status = (*p)->Wait(absl::Seconds(10));
    REQUIRE(status.ok());
    CHECK(WEXITSTATUS(*status) == 2);
    CHECK((*p)->Output().find("run it under paddockd") != std::string::npos);
  }
}

TEST_CASE("a plugin prints its embedded manifest with --manifest", "[e2e]") {
  auto p = PluginProcess::Spawn(kHello, {"--manifest"}, false);
  REQUIRE(p.ok());
  auto status = (*p)->Wait(absl::Seconds(10));
  REQUIRE(status.ok());
  CHECK(WEXITSTATUS(*status) == 0);
  const std::string out = (*p)->Output();
  CHECK(out.find(R"("name": "hello")") != std::string::npos);
  CHECK(out.find(R"("sdk_protocol": "1.0.0")") != std::string::npos);
  CHECK(out.find("paddock.hello.v1.Hello") != std::string::npos);
}

// Cold start as the host sees it: spawn -> BootstrapReply(ready), and spawn -> first Greet
// answered over a fresh mTLS connection. Hidden (not run by ctest); run it with
//   plugin_sdk_e2e_test "[bench]"
TEST_CASE("cold start latency", "[.][bench]") {
  constexpr int kRounds = 50;
  std::vector<double> ready_ms, greet_ms;
  for (int i = 0; i < kRounds; ++i) {
    const absl::Time t0 = absl::Now();
    Running r(kHello, "hello");
    ready_ms.push_back(absl::ToDoubleMilliseconds(r.startup));
    hello::v1::GreetReply greet;
    REQUIRE(Greet(r.channel, "x", &greet).ok());
    greet_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
    REQUIRE(kill(r.proc->pid(), SIGTERM) == 0);
    REQUIRE(r.Exit() == 0);
  }
  auto pct = [](std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v[static_cast<size_t>(p * (v.size() - 1))];
  };
  WARN("spawn->ready ms: p50 " << pct(ready_ms, 0.5) << " p99 " << pct(ready_ms, 0.99) << " max "
                               << pct(ready_ms, 1.0));
  WARN("spawn->first Greet ms: p50 " << pct(greet_ms, 0.5) << " p99 " << pct(greet_ms, 0.99)
                                     << " max " << pct(greet_ms, 1.0));
}

}  // namespace
}  // namespace paddock::testing
