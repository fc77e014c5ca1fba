// The scheduler plugin under the real paddockd, fully confined: tasks fire at the right
// times on a timer thread pinned where asked and running SCHED_FIFO (CAP_SYS_NICE plus the
// real-time budget the host gives its cgroup), bad input gets clear errors, a one-shot task
// fires once, and tasks survive a restart, a kill -9 and a hot reload to a changed binary.
// Tolerances are generous: precision is measured by scripts/bench-scheduler, not here.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_split.h"
#include "host/json.h"
#include "integration/harness.h"

namespace {

using paddock::testing::BundledPlugin;
using paddock::testing::CmdResult;
using paddock::testing::Host;
using paddock::testing::WaitFor;
namespace json = paddock::host::json;
namespace v1 = paddock::v1;

constexpr char kConfig[] =
    "\"plugins\": {\"scheduler\": {\"grant\": {\"data_dir\": true, \"capabilities\": "
    "[\"CAP_SYS_NICE\", \"CAP_IPC_LOCK\"], \"syscall_groups\": [\"realtime\"]}}}";

json::Value Call(Host& host, const std::string& method, const std::string& body) {
  CmdResult r = host.Ctl({"call", "scheduler", method, body});
  INFO(method << " " << body << "\nstderr: " << r.err << "\nstdout: " << r.out);
  REQUIRE(r.exit_code == 0);
  absl::StatusOr<json::Value> v = json::Parse(r.out);
  REQUIRE(v.ok());
  return *v;
}

// The error paddockctl prints for a call that must fail.
std::string CallError(Host& host, const std::string& method, const std::string& body) {
  CmdResult r = host.Ctl({"call", "scheduler", method, body});
  INFO(method << " " << body << "\nstdout: " << r.out);
  CHECK(r.exit_code != 0);
  return r.err;
}

const json::Value& At(const json::Value& v, std::initializer_list<const char*> path) {
  static const json::Value kNull;
  const json::Value* cur = &v;
  for (const char* key : path) {
    cur = cur->Find(key);
    if (cur == nullptr) return kNull;
  }
  return *cur;
}

// proto3 JSON prints 64-bit integers as strings.
int64_t Int(const json::Value& v) {
  if (v.kind == json::Value::Kind::kString) return std::strtoll(v.string.c_str(), nullptr, 10);
  return static_cast<int64_t>(v.number);
}

const json::Value* TaskStats(const json::Value& stats, const std::string& name) {
  const json::Value* tasks = stats.Find("tasks");
  if (tasks == nullptr) return nullptr;
  for (const json::Value& t : tasks->array) {
    if (At(t, {"name"}).string == name) return &t;
  }
  return nullptr;
}

// Both return a pointer into their argument: a temporary would leave it dangling (ASan
// found two such uses), so they refuse rvalues.
const json::Value* TaskStats(json::Value&& stats, const std::string& name) = delete;

const json::Value* ListedTask(const json::Value& list, const std::string& name) {
  const json::Value* tasks = list.Find("tasks");
  if (tasks == nullptr) return nullptr;
  for (const json::Value& t : tasks->array) {
    if (At(t, {"spec", "name"}).string == name) return &t;
  }
  return nullptr;
}
const json::Value* ListedTask(json::Value&& list, const std::string& name) = delete;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The thread of `pid` named `name` (host pid namespace), or -1.
int FindThread(pid_t pid, const std::string& name) {
  std::error_code ec;
  for (const auto& e :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::string comm = ReadFile(e.path().string() + "/comm");
    while (!comm.empty() && comm.back() == '\n') comm.pop_back();
    if (comm == name) return std::atoi(e.path().filename().c_str());
  }
  return -1;
}

std::string StatusField(pid_t pid, int tid, const std::string& key) {
  std::istringstream in(
      ReadFile("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) {
      std::string v = line.substr(key.size() + 1);
      return v.substr(v.find_first_not_of(" \t"));
    }
  }
  return "";
}

// Fields 40 (rt_priority) and 41 (policy) of /proc/<pid>/task/<tid>/stat.
std::pair<int, int> PriorityAndPolicy(pid_t pid, int tid) {
  std::string stat =
      ReadFile("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/stat");
  std::vector<std::string> f = absl::StrSplit(stat.substr(stat.rfind(')') + 2), ' ');
  if (f.size() < 39) return {-1, -1};
  return {std::atoi(f[37].c_str()), std::atoi(f[38].c_str())};  // Field N is f[N - 3].
}

void StopHost(Host& host) {
  // A clean stop hands the cgroups' real-time budget back (a SIGKILLed host would leak it).
  host.Signal(SIGTERM);
  CHECK(host.Wait(20) == 0);
}

TEST_CASE("periodic ticks fire on time on a pinned SCHED_FIFO thread", "[scheduler]") {
  Host host(kConfig);
  host.AddPlugin(BundledPlugin("scheduler"), "scheduler");
  REQUIRE(host.Start());
  REQUIRE(host.WaitForState("scheduler", v1::STATE_SERVING, 15));
  const int cpu = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 1 : 0;
  json::Value added =
      Call(host, "AddTask",
           "{\"task\":{\"name\":\"pin\",\"periodic\":{\"interval_us\":10000},"
           "\"cpu\":" +
               std::to_string(cpu) + ",\"policy\":\"SCHED_POLICY_FIFO\",\"priority\":50}}");
  const json::Value& applied = At(added, {"task", "applied"});
  INFO("applied note: " << At(applied, {"note"}).string);
  CHECK(At(added, {"task", "state"}).string == "TASK_ARMED");
  CHECK(At(applied, {"policy"}).string == "SCHED_FIFO");
  CHECK(Int(At(applied, {"priority"})) == 50);
  CHECK(Int(At(applied, {"cpu"})) == cpu);
  CHECK(At(applied, {"threadName"}).string == "sch-pin");

  // The kernel's view of the timer thread, from outside the sandbox.
  const pid_t pid = host.Status("scheduler").pid();
  const int tid = FindThread(pid, "sch-pin");
  REQUIRE(tid > 0);
  CHECK(StatusField(pid, tid, "Cpus_allowed_list") == std::to_string(cpu));
  auto [prio, policy] = PriorityAndPolicy(pid, tid);
  CHECK(policy == SCHED_FIFO);
  CHECK(prio == 50);

  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  json::Value stats = Call(host, "Stats", "{\"name\":\"pin\"}");
  const json::Value* s = TaskStats(stats, "pin");
  REQUIRE(s != nullptr);
  const int64_t ticks = Int(At(*s, {"ticks"}));
  const int64_t misses = Int(At(*s, {"misses"}));
  const int64_t wall_ns = Int(At(*s, {"wallNs"}));
  INFO("ticks " << ticks << " misses " << misses << " wall " << wall_ns);
  // One tick per 10 ms of the time the task was armed.
  CHECK(std::llabs(ticks + misses - wall_ns / 10'000'000) <= 2);
  CHECK(ticks >= 80);
  CHECK(Int(At(*s, {"latency", "count"})) == ticks);
  CHECK(Int(At(*s, {"latency", "p50Ns"})) < 5'000'000);
  CHECK(Int(At(*s, {"latency", "maxNs"})) < 100'000'000);
  CHECK(At(stats, {"memoryLocked"}).boolean);
  CHECK(At(stats, {"active"}).boolean);

  json::Value removed = Call(host, "RemoveTask", "{\"name\":\"pin\"}");
  CHECK(At(removed, {"task", "spec", "name"}).string == "pin");
  CHECK(WaitFor([&] { return FindThread(pid, "sch-pin") < 0; }, 5));
  StopHost(host);
}

TEST_CASE("bad tasks get clear errors", "[scheduler]") {
  Host host(kConfig);
  host.AddPlugin(BundledPlugin("scheduler"), "scheduler");
  REQUIRE(host.Start());
  REQUIRE(host.WaitForState("scheduler", v1::STATE_SERVING, 15));
  CHECK_THAT(CallError(host, "AddTask", R"({"task":{"name":"a","periodic":{"interval_us":0}}})"),
             Catch::Contains("periodic.interval_us: must be at least 100 microseconds, got 0"));
  CHECK_THAT(CallError(host, "AddTask", R"({"task":{"name":"a","periodic":{"interval_us":50}}})"),
             Catch::Contains("got 50"));
  CHECK_THAT(
      CallError(host, "AddTask",
                R"({"task":{"name":"a","periodic":{"interval_us":1000},"cpu":512}})"),
      Catch::Contains("CPU 512 does not exist or is not in this plugin's cpuset (allowed: "));
  CHECK_THAT(
      CallError(host, "AddTask", R"({"task":{"name":"a","cron":{"expression":"0 25 * * *"}}})"),
      Catch::Contains("hour: 25 is out of range 0-23"));
  CHECK_THAT(CallError(host, "RemoveTask", R"({"name":"ghost"})"),
             Catch::Contains("no task named \"ghost\""));
  Call(host, "AddTask", R"({"task":{"name":"a","periodic":{"interval_us":1000000}}})");
  CHECK_THAT(CallError(host, "AddTask", R"({"task":{"name":"a","periodic":{"interval_us":1000}}})"),
             Catch::Contains("exists"));
  CHECK(At(Call(host, "ListTasks", "{}"), {"tasks"}).array.size() == 1);
  StopHost(host);
}

TEST_CASE("a one-shot fires once, and tasks survive a restart, a kill -9 and a reload",
          "[scheduler]") {
  Host host(kConfig);
  host.AddPlugin(BundledPlugin("scheduler"), "scheduler");
  REQUIRE(host.Start());
  REQUIRE(host.WaitForState("scheduler", v1::STATE_SERVING, 15));
  Call(host, "AddTask", R"({"task":{"name":"once","one_shot":{"in_ms":300}}})");
  Call(host, "AddTask", R"({"task":{"name":"keep","periodic":{"interval_us":20000}}})");
  Call(host, "AddTask", R"({"task":{"name":"nightly","cron":{"expression":"0 3 * * *"}}})");
  REQUIRE(WaitFor(
      [&] {
        // The list must outlive `t`, which points into it (ASan: use-after-free).
        const json::Value list = Call(host, "ListTasks", "{}");
        const json::Value* t = ListedTask(list, "once");
        return t != nullptr && At(*t, {"state"}).string == "TASK_DONE";
      },
      5));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const json::Value stats = Call(host, "Stats", "{}");
  const json::Value* once = TaskStats(stats, "once");
  REQUIRE(once != nullptr);
  CHECK(Int(At(*once, {"ticks"})) == 1);
  const std::string stored = ReadFile(host.data_dir() + "/scheduler/tasks.json");
  CHECK(stored.find("\"keep\"") != std::string::npos);
  CHECK(stored.find("\"done\": true") != std::string::npos);

  auto check_restored = [&](const char* when) {
    INFO(when);
    // The new instance takes the leader lock in the background (at its next poll after a
    // reload, once the old generation let go): until then its tasks are on standby.
    REQUIRE(WaitFor([&] { return At(Call(host, "Stats", "{}"), {"active"}).boolean; }, 5));
    json::Value list = Call(host, "ListTasks", "{}");
    REQUIRE(At(list, {"tasks"}).array.size() == 3);
    CHECK(At(*ListedTask(list, "once"), {"state"}).string == "TASK_DONE");
    CHECK(At(*ListedTask(list, "nightly"), {"state"}).string == "TASK_ARMED");
    CHECK(At(*ListedTask(list, "nightly"), {"next"}).string.find("T03:00:00Z") !=
          std::string::npos);
    REQUIRE(WaitFor(
        [&] {
          const json::Value stats = Call(host, "Stats", "{}");
          const json::Value* keep = TaskStats(stats, "keep");
          return keep != nullptr && Int(At(*keep, {"ticks"})) >= 5;
        },
        5));
    // The one-shot does not fire again in the new instance.
    const json::Value stats = Call(host, "Stats", "{}");
    const json::Value* once_again = TaskStats(stats, "once");
    REQUIRE(once_again != nullptr);
    CHECK(Int(At(*once_again, {"ticks"})) == 0);
  };

  REQUIRE(host.Ctl({"restart", "scheduler"}).exit_code == 0);
  REQUIRE(host.WaitForState("scheduler", v1::STATE_SERVING, 15));
  CHECK(host.Status("scheduler").generation() == 2);
  check_restored("after restart");

  const pid_t before = host.Status("scheduler").pid();
  REQUIRE(kill(before, SIGKILL) == 0);
  REQUIRE(WaitFor(
      [&] {
        v1::PluginInfo now = host.Status("scheduler");
        return now.state() == v1::STATE_SERVING && now.pid() != before;
      },
      15));
  check_restored("after kill -9");

  // A hot reload to a changed binary (the same program with a byte appended, installed the
  // way `install` does it): the new generation takes the leader lock over from the old one
  // as it drains, and restores the same tasks.
  const uint64_t generation = host.Status("scheduler").generation();
  const std::string dst = host.plugin_dir() + "/scheduler";
  std::filesystem::copy_file(BundledPlugin("scheduler"), dst + ".new",
                             std::filesystem::copy_options::overwrite_existing);
  std::ofstream(dst + ".new", std::ios::app) << '\n';
  std::filesystem::rename(dst + ".new", dst);
  CmdResult reload = host.Ctl({"reload"});
  INFO(reload.out << reload.err);
  REQUIRE(reload.exit_code == 0);
  CHECK(reload.out.find("scheduler") != std::string::npos);
  REQUIRE(WaitFor(
      [&] {
        v1::PluginInfo now = host.Status("scheduler");
        return now.state() == v1::STATE_SERVING && now.generation() == generation + 1 &&
               now.live_instances() == 1;
      },
      20));
  check_restored("after a reload to a changed binary");
  StopHost(host);
}

}  // namespace
