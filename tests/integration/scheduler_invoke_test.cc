// Ticks that invoke another plugin through the host (HostInvoke over the /host socket, mTLS,
// the caller named by its certificate): allowed where plugins.scheduler.invoke lists the
// target, and the target sees the calls; denied (and logged by the host) everywhere else;
// unknown targets refused clearly; an ACL change applied by the config engine takes effect
// for the next tick without restarting anything; a client without a certificate from the
// host's CA gets nothing from the invoke socket.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>

#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "host/json.h"
#include "integration/harness.h"
#include "integration/metrics_fixture.h"
#include "paddock/v1/invoke.grpc.pb.h"

namespace {

using paddock::testing::BundledPlugin;
using paddock::testing::CmdResult;
using paddock::testing::Host;
using paddock::testing::TestPlugin;
using paddock::testing::WaitFor;
namespace json = paddock::host::json;
namespace v1 = paddock::v1;

// scheduler (confined, real-time grant) may invoke what `invoke` lists; echo and hello serve.
std::string Config(const std::string& invoke) {
  return "\"plugins\": {\"echo\": {\"grant\": {\"sockets\": true, \"data_dir\": true}}, "
         "\"hello\": {\"config\": {\"greeting\": \"Hi\"}}, \"scheduler\": "
         "{\"grant\": {\"data_dir\": true, \"capabilities\": [\"CAP_SYS_NICE\", "
         "\"CAP_IPC_LOCK\"], \"syscall_groups\": [\"realtime\"]}, \"invoke\": " +
         invoke + "}}";
}

std::string AddInvokeTask(const std::string& name, const std::string& target,
                          const std::string& body) {
  return "{\"task\":{\"name\":\"" + name +
         "\",\"periodic\":{\"interval_us\":100000},\"invoke\":{\"target\":\"" + target +
         "\",\"json\":\"" + body + "\"}}}";
}

CmdResult AddTask(Host& host, const std::string& name, const std::string& target,
                  const std::string& body = "{}") {
  return host.Ctl({"call", "scheduler", "AddTask", AddInvokeTask(name, target, body)});
}

const json::Value* Field(const json::Value& v, const char* key) { return v.Find(key); }

// A string field, "" when absent.
std::string Str(const json::Value& v, const char* key) {
  const json::Value* f = v.Find(key);
  return f == nullptr ? "" : f->string;
}

// proto3 JSON prints 64-bit integers as strings and omits zeros.
int64_t Int(const json::Value* v) {
  if (v == nullptr) return 0;
  if (v->kind == json::Value::Kind::kString) return std::strtoll(v->string.c_str(), nullptr, 10);
  return static_cast<int64_t>(v->number);
}

// One task's Stats entry, or a null value when the call fails.
json::Value TaskStats(Host& host, const std::string& task) {
  CmdResult r = host.Ctl({"call", "scheduler", "Stats", "{\"name\":\"" + task + "\"}"});
  if (r.exit_code != 0) return {};
  auto v = json::Parse(r.out);
  if (!v.ok()) return {};
  const json::Value* tasks = v->Find("tasks");
  if (tasks == nullptr || tasks->array.empty()) return {};
  return tasks->array[0];
}

int64_t StatsField(Host& host, const std::string& task, const char* field) {
  return Int(Field(TaskStats(host, task), field));
}

// What echo saw: its Calls answer.
json::Value EchoCalls(Host& host) {
  CmdResult r = host.Ctl({"call", "echo", "Calls", "{}"});
  if (r.exit_code != 0) return {};
  auto v = json::Parse(r.out);
  return v.ok() ? *v : json::Value{};
}

bool LogHas(Host& host, const std::string& needle) {
  return WaitFor([&] { return host.Log().find(needle) != std::string::npos; }, 5);
}

}  // namespace

TEST_CASE("ticks invoke other plugins through the host only where the invoke ACL allows",
          "[invoke]") {
  Host host(Config("[\"echo/Echo\", \"hello/Greet\", \"ghost/*\"]"));
  host.AddPlugin(BundledPlugin("scheduler"), "scheduler");
  host.AddPlugin(BundledPlugin("hello"), "hello");
  host.AddPlugin(TestPlugin("echo-v1"), "echo");
  REQUIRE(host.Start());
  for (const char* p : {"scheduler", "hello", "echo"}) {
    REQUIRE(host.WaitForState(p, v1::STATE_SERVING, 15));
  }

  // Allowed: echo counts the calls it answers; hello is named in its fully qualified form,
  // which resolves to the method the "hello/Greet" entry allows.
  CmdResult added = AddTask(host, "echo-tick", "echo/Echo", "{\\\"text\\\":\\\"tick\\\"}");
  INFO(added.err);
  REQUIRE(added.exit_code == 0);
  CmdResult full = AddTask(host, "greet", "hello/paddock.hello.v1.Hello/Greet");
  INFO(full.err);
  REQUIRE(full.exit_code == 0);
  REQUIRE(WaitFor([&] { return Int(Field(EchoCalls(host), "echoes")) >= 3; }, 15));
  CHECK(Str(EchoCalls(host), "lastText") == "tick");
  CHECK(WaitFor([&] { return StatsField(host, "echo-tick", "invokesOk") >= 3; }, 10));
  CHECK(WaitFor([&] { return StatsField(host, "greet", "invokesOk") >= 3; }, 10));
  CHECK(StatsField(host, "echo-tick", "invokesFailed") == 0);

  // Not listed: refused when the task is added, and the host logs caller and target.
  CmdResult denied = AddTask(host, "agg", "log-aggregator/Query");
  CHECK(denied.exit_code != 0);
  CHECK_THAT(denied.err, Catch::Contains("plugin \"scheduler\" may not invoke "
                                         "\"log-aggregator/Query\": not allowed by "
                                         "plugins.scheduler.invoke"));
  CHECK(
      LogHas(host, "invoke denied: plugin \"scheduler\" may not invoke \"log-aggregator/Query\""));
  // A listed plugin without that method; a listed pattern without that plugin; no method.
  CmdResult no_method = AddTask(host, "nope", "hello/Nope");
  CHECK(no_method.exit_code != 0);
  CHECK_THAT(no_method.err, Catch::Contains("plugin \"hello\": "));
  CHECK_THAT(no_method.err, Catch::Contains("Nope"));
  CmdResult no_plugin = AddTask(host, "boo", "ghost/Boo");
  CHECK(no_plugin.exit_code != 0);
  CHECK_THAT(no_plugin.err, Catch::Contains("no plugin named \"ghost\""));
  CmdResult malformed = AddTask(host, "bad", "hello");
  CHECK(malformed.exit_code != 0);
  CHECK_THAT(malformed.err, Catch::Contains("is not \"plugin/Method\""));
  // The host counts forwarded invokes like `paddockctl call`s, and each denial by caller.
  const std::string metrics = paddock::testing::HttpGet(paddock::testing::MetricsAddress(host));
  INFO(metrics);
  CHECK(paddock::testing::SeriesValue(
            metrics,
            "paddock_host_rpc_requests_total{code=\"OK\",method=\"/paddock.test.v1.Echo/Echo\","
            "plugin=\"echo\"}") >= 3);
  CHECK(paddock::testing::SeriesValue(
            metrics, "paddock_host_invoke_denied_total{caller=\"scheduler\"}") >= 1);
  CmdResult list = host.Ctl({"call", "scheduler", "ListTasks", "{}"});
  CHECK(list.out.find("\"echo-tick\"") != std::string::npos);
  CHECK(list.out.find("\"agg\"") == std::string::npos);

  // The config engine takes echo out of the ACL: the running task's next invokes are denied
  // (counted by the task, logged by the host), echo sees no more calls, and nothing restarted.
  const uint64_t scheduler_generation = host.Status("scheduler").generation();
  Host::WriteAtomically(host.config_path(), host.ConfigJson(Config("[\"hello/Greet\"]")));
  REQUIRE(WaitFor([&] { return StatsField(host, "echo-tick", "invokesFailed") >= 2; }, 10));
  CHECK_THAT(Str(TaskStats(host, "echo-tick"), "lastInvokeError"),
             Catch::Contains("may not invoke \"echo/Echo\""));
  CHECK(LogHas(host, "invoke denied: plugin \"scheduler\" may not invoke \"echo/Echo\""));
  const int64_t seen = Int(Field(EchoCalls(host), "echoes"));
  const int64_t greeted = StatsField(host, "greet", "invokesOk");
  CHECK(WaitFor([&] { return StatsField(host, "greet", "invokesOk") >= greeted + 3; }, 10));
  CHECK(Int(Field(EchoCalls(host), "echoes")) == seen);
  CHECK(AddTask(host, "echo-2", "echo/Echo").exit_code != 0);
  CHECK(host.Status("scheduler").generation() == scheduler_generation);

  // An empty ACL allows nothing at all.
  Host::WriteAtomically(host.config_path(), host.ConfigJson(Config("[]")));
  REQUIRE(WaitFor(
      [&] {
        return Str(TaskStats(host, "greet"), "lastInvokeError").find("may not invoke") !=
               std::string::npos;
      },
      10));
  CmdResult none = AddTask(host, "greet-2", "hello/Greet");
  CHECK(none.exit_code != 0);
  CHECK_THAT(none.err, Catch::Contains("may not invoke \"hello/Greet\""));

  // The invoke socket itself: a client without a certificate from the host's CA gets no
  // answer at all (the TLS handshake fails), whatever it asks for.
  auto channel = grpc::CreateChannel("unix:" + host.runtime_dir() + "/host/invoke.sock",
                                     grpc::InsecureChannelCredentials());
  auto stub = v1::HostInvoke::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  v1::InvokeRequest req;
  req.set_target("hello/Greet");
  v1::InvokeResponse resp;
  grpc::Status plain = stub->Invoke(&ctx, req, &resp);
  CHECK_FALSE(plain.ok());
  CHECK(plain.error_code() != grpc::StatusCode::PERMISSION_DENIED);  // Never got that far.

  host.Signal(SIGTERM);
  CHECK(host.Wait(20) == 0);
}
