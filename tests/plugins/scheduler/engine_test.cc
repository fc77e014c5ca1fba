// The engine: tasks persist in the data dir across instances (a restart), only the holder of
// the leader lock runs timers (a hot reload hands over without double ticks), fired one-shot
// tasks stay done, and bad requests get clear errors.
#include "engine.h"

#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "google/protobuf/util/json_util.h"

namespace paddock::scheduler {
namespace {

using namespace std::chrono_literals;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/scheduler-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

v1::TaskSpec Spec(const std::string& json) {
  v1::TaskSpec spec;
  REQUIRE(google::protobuf::util::JsonStringToMessage(json, &spec).ok());
  return spec;
}

std::unique_ptr<Engine> MakeEngine(const std::string& dir, EngineOptions extra = {}) {
  extra.data_dir = dir;
  extra.cpus = CpuSet::OfThisProcess();
  absl::StatusOr<std::unique_ptr<Engine>> e = Engine::Create(std::move(extra));
  INFO(e.status().ToString());
  REQUIRE(e.ok());
  return std::move(*e);
}

bool WaitFor(const std::function<bool()>& pred, std::chrono::milliseconds limit) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

uint64_t Ticks(Engine& e, const std::string& name) {
  auto stats = e.Stats(name);
  REQUIRE(stats.ok());
  REQUIRE(stats->size() == 1);
  return (*stats)[0].ticks();
}

TEST_CASE("tasks persist across engine instances (a plugin restart)") {
  TempDir dir;
  {
    auto e = MakeEngine(dir.path());
    e->Activate();
    REQUIRE(WaitFor([&] { return e->active(); }, 2000ms));
    auto info = e->Add(Spec(R"({"name":"p","periodic":{"interval_us":5000}})"));
    REQUIRE(info.ok());
    CHECK(info->state() == v1::TASK_ARMED);
    CHECK(info->applied().thread_name() == "sch-p");
    REQUIRE(e->Add(Spec(R"({"name":"c","cron":{"expression":"0 0 * * *"}})")).ok());
    REQUIRE(WaitFor([&] { return Ticks(*e, "p") >= 5; }, 3000ms));
  }
  CHECK(std::filesystem::exists(dir.path() + "/tasks.json"));
  auto e = MakeEngine(dir.path());
  std::vector<v1::TaskInfo> list = e->List();
  REQUIRE(list.size() == 2);
  CHECK(list[0].spec().name() == "c");
  CHECK(list[1].spec().name() == "p");
  CHECK(list[1].state() == v1::TASK_STANDBY);  // Not active yet.
  e->Activate();
  REQUIRE(WaitFor([&] { return e->active(); }, 2000ms));
  CHECK(e->List()[1].state() == v1::TASK_ARMED);
  CHECK(e->List()[0].has_next());
  REQUIRE(WaitFor([&] { return Ticks(*e, "p") >= 5; }, 3000ms));
  REQUIRE(e->Remove("p").ok());
  CHECK(e->List().size() == 1);
  CHECK(e->Remove("p").status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("only the leader runs timers, the standby takes over when it deactivates") {
  TempDir dir;
  auto old_gen = MakeEngine(dir.path());
  old_gen->Activate();
  REQUIRE(WaitFor([&] { return old_gen->active(); }, 2000ms));
  REQUIRE(old_gen->Add(Spec(R"({"name":"a","periodic":{"interval_us":2000}})")).ok());

  auto new_gen = MakeEngine(dir.path());
  new_gen->Activate();
  std::this_thread::sleep_for(200ms);
  CHECK_FALSE(new_gen->active());
  // The standby serves the API: its change goes to the file and is not armed yet.
  auto added = new_gen->Add(Spec(R"({"name":"b","periodic":{"interval_us":2000}})"));
  REQUIRE(added.ok());
  CHECK(added->state() == v1::TASK_STANDBY);
  CHECK(new_gen->Runners().empty());
  CHECK(old_gen->List().size() == 2);

  old_gen->Deactivate();
  CHECK(old_gen->Runners().empty());
  REQUIRE(WaitFor([&] { return new_gen->active(); }, 2000ms));
  CHECK(new_gen->Runners().size() == 2);
  REQUIRE(WaitFor([&] { return Ticks(*new_gen, "a") >= 3 && Ticks(*new_gen, "b") >= 3; }, 3000ms));
}

TEST_CASE("a fired one-shot is stored as done and does not fire again") {
  TempDir dir;
  {
    auto e = MakeEngine(dir.path());
    e->Activate();
    REQUIRE(WaitFor([&] { return e->active(); }, 2000ms));
    REQUIRE(e->Add(Spec(R"({"name":"once","one_shot":{"in_ms":30}})")).ok());
    REQUIRE(WaitFor([&] { return e->List()[0].state() == v1::TASK_DONE; }, 3000ms));
    CHECK(Ticks(*e, "once") == 1);
  }
  auto e = MakeEngine(dir.path());
  e->Activate();
  REQUIRE(WaitFor([&] { return e->active(); }, 2000ms));
  std::this_thread::sleep_for(100ms);
  std::vector<v1::TaskInfo> list = e->List();
  REQUIRE(list.size() == 1);
  CHECK(list[0].state() == v1::TASK_DONE);
  CHECK(e->Runners().empty());
  CHECK(Ticks(*e, "once") == 0);
}

TEST_CASE("bad requests get clear errors and leave nothing stored") {
  TempDir dir;
  auto e = MakeEngine(dir.path());
  e->Activate();
  REQUIRE(WaitFor([&] { return e->active(); }, 2000ms));
  auto bad = e->Add(Spec(R"({"name":"z","periodic":{"interval_us":0}})"));
  CHECK(bad.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(bad.status().message()), Catch::Contains("interval_us"));
  REQUIRE(e->Add(Spec(R"({"name":"dup","periodic":{"interval_us":1000000}})")).ok());
  auto dup = e->Add(Spec(R"({"name":"dup","periodic":{"interval_us":1000000}})"));
  CHECK(dup.status().code() == absl::StatusCode::kAlreadyExists);
  // No host channel: a task that invokes is refused.
  auto inv = e->Add(Spec(R"({"name":"i","periodic":{"interval_us":1000000},
                             "invoke":{"target":"hello/Greet"}})"));
  CHECK(inv.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(inv.status().message()), Catch::Contains("no channel to the host"));
  CHECK(e->List().size() == 1);
  CHECK(e->Stats("nope").status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("invoke targets are checked with the host before a task is stored") {
  TempDir dir;
  EngineOptions o;
  o.invoke = [](const std::string&, const std::string&, uint32_t) {
    return absl::StatusOr<std::string>("{}");
  };
  o.check_invoke = [](const std::string& target) {
    if (target == "hello/Greet") return absl::OkStatus();
    if (target == "ghost/Boo") return absl::NotFoundError("no plugin named \"ghost\"");
    return absl::PermissionDeniedError("not in plugins.scheduler.invoke");
  };
  auto e = MakeEngine(dir.path(), o);
  e->Activate();
  REQUIRE(WaitFor([&] { return e->active(); }, 2000ms));
  auto unknown = e->Add(Spec(R"({"name":"u","periodic":{"interval_us":1000000},
                                 "invoke":{"target":"ghost/Boo"}})"));
  CHECK(unknown.status().code() == absl::StatusCode::kNotFound);
  CHECK_THAT(std::string(unknown.status().message()),
             Catch::Contains("invoke.target \"ghost/Boo\": no plugin named \"ghost\""));
  auto denied = e->Add(Spec(R"({"name":"d","periodic":{"interval_us":1000000},
                                "invoke":{"target":"gcounter/Add"}})"));
  CHECK(denied.status().code() == absl::StatusCode::kPermissionDenied);
  auto ok = e->Add(Spec(R"({"name":"g","periodic":{"interval_us":100000},
                            "invoke":{"target":"hello/Greet"}})"));
  REQUIRE(ok.ok());
  REQUIRE(WaitFor(
      [&] {
        auto s = e->Stats("g");
        return s.ok() && (*s)[0].invokes_ok() >= 2;
      },
      3000ms));
  CHECK(e->List().size() == 1);
}

TEST_CASE("a corrupt task file is refused with its path") {
  TempDir dir;
  std::ofstream(dir.path() + "/tasks.json") << "{ not json";
  EngineOptions o;
  o.data_dir = dir.path();
  auto e = Engine::Create(o);
  REQUIRE_FALSE(e.ok());
  CHECK(e.status().code() == absl::StatusCode::kDataLoss);
  CHECK_THAT(std::string(e.status().message()), Catch::Contains(dir.path() + "/tasks.json"));
}

TEST_CASE("without a data dir tasks live in memory and the engine is active at once") {
  EngineOptions o;
  o.cpus = CpuSet::OfThisProcess();
  auto e = Engine::Create(o);
  REQUIRE(e.ok());
  (*e)->Activate();
  CHECK((*e)->active());
  REQUIRE((*e)->Add(Spec(R"({"name":"m","periodic":{"interval_us":1000}})")).ok());
  CHECK((*e)->List().size() == 1);
}

}  // namespace
}  // namespace paddock::scheduler
