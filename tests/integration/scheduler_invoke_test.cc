// Ticks that invoke another plugin through the host (HostInvoke over the /host socket, mTLS,
// the caller named by its certificate): allowed where plugins.scheduler.invoke lists the
// target, denied (and logged by the host) everywhere else, unknown targets refused clearly.
#include <signal.h>

#include <catch2/catch.hpp>
#include <cstdlib>

#include "host/json.h"
#include "integration/harness.h"

namespace {

using paddock::testing::BundledPlugin;
using paddock::testing::CmdResult;
using paddock::testing::Host;
using paddock::testing::WaitFor;
namespace json = paddock::host::json;
namespace v1 = paddock::v1;

std::string Config(const std::string& invoke) {
  return "\"plugins\": {\"hello\": {\"config\": {\"greeting\": \"Hi\"}}, \"scheduler\": "
         "{\"grant\": {\"data_dir\": true, \"capabilities\": [\"CAP_SYS_NICE\", "
         "\"CAP_IPC_LOCK\"], \"syscall_groups\": [\"realtime\"]}, \"invoke\": " +
         invoke + "}}";
}

void StartBoth(Host& host) {
  host.AddPlugin(BundledPlugin("scheduler"), "scheduler");
  host.AddPlugin(BundledPlugin("hello"), "hello");
  REQUIRE(host.Start());
  REQUIRE(host.WaitForState("scheduler", v1::STATE_SERVING, 15));
  REQUIRE(host.WaitForState("hello", v1::STATE_SERVING, 15));
}

std::string AddInvokeTask(const std::string& name, const std::string& target) {
  return "{\"task\":{\"name\":\"" + name +
         "\",\"periodic\":{\"interval_us\":100000},\"invoke\":{\"target\":\"" + target +
         "\",\"json\":\"{\\\"name\\\":\\\"tick\\\"}\"}}}";
}

CmdResult AddTask(Host& host, const std::string& name, const std::string& target) {
  return host.Ctl({"call", "scheduler", "AddTask", AddInvokeTask(name, target)});
}

int64_t StatsField(Host& host, const std::string& task, const char* field) {
  CmdResult r = host.Ctl({"call", "scheduler", "Stats", "{\"name\":\"" + task + "\"}"});
  if (r.exit_code != 0) return -1;
  auto v = json::Parse(r.out);
  if (!v.ok()) return -1;
  const json::Value* tasks = v->Find("tasks");
  if (tasks == nullptr || tasks->array.empty()) return -1;
  const json::Value* f = tasks->array[0].Find(field);
  if (f == nullptr) return -1;
  return f->kind == json::Value::Kind::kString ? std::strtoll(f->string.c_str(), nullptr, 10)
                                               : static_cast<int64_t>(f->number);
}

void StopHost(Host& host) {
  host.Signal(SIGTERM);
  CHECK(host.Wait(20) == 0);
}

TEST_CASE("a tick invokes hello/Greet through the host where the ACL allows it", "[invoke]") {
  Host host(Config("[\"hello/Greet\", \"ghost/*\"]"));
  StartBoth(host);

  CmdResult added = AddTask(host, "greet", "hello/Greet");
  INFO(added.err);
  REQUIRE(added.exit_code == 0);
  // The fully qualified form names the same method, so the same entry allows it.
  CmdResult full = AddTask(host, "greet-full", "hello/paddock.hello.v1.Hello/Greet");
  INFO(full.err);
  REQUIRE(full.exit_code == 0);
  CHECK(WaitFor([&] { return StatsField(host, "greet", "invokesOk") >= 3; }, 15));
  CHECK(WaitFor([&] { return StatsField(host, "greet-full", "invokesOk") >= 3; }, 15));
  CHECK(StatsField(host, "greet", "invokesFailed") == 0);

  // Not listed: refused when the task is added, and the host logs the denial.
  CmdResult denied = AddTask(host, "agg", "log-aggregator/Query");
  CHECK(denied.exit_code != 0);
  CHECK_THAT(denied.err, Catch::Contains("plugin \"scheduler\" may not invoke "
                                         "\"log-aggregator/Query\": not allowed by "
                                         "plugins.scheduler.invoke"));
  CHECK(WaitFor(
      [&] {
        return host.Log().find(
                   "invoke denied: plugin \"scheduler\" may not invoke "
                   "\"log-aggregator/Query\"") != std::string::npos;
      },
      5));

  // Listed plugin, but no such method; listed pattern, but no such plugin.
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

  CmdResult list = host.Ctl({"call", "scheduler", "ListTasks", "{}"});
  CHECK(list.out.find("\"greet\"") != std::string::npos);
  CHECK(list.out.find("\"agg\"") == std::string::npos);
  StopHost(host);
}

TEST_CASE("a plugin without invoke entries may invoke nothing", "[invoke]") {
  Host host(Config("[]"));
  StartBoth(host);
  CmdResult denied = AddTask(host, "greet", "hello/Greet");
  CHECK(denied.exit_code != 0);
  CHECK_THAT(denied.err, Catch::Contains("may not invoke \"hello/Greet\""));
  CHECK(WaitFor(
      [&] {
        return host.Log().find(
                   "invoke denied: plugin \"scheduler\" may not invoke "
                   "\"hello/Greet\"") != std::string::npos;
      },
      5));
  StopHost(host);
}

}  // namespace
