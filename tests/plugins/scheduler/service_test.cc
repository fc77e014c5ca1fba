// The Scheduler service: Subscribe's streaming loop (ticks in order with their times, tasks
// added later, unknown names) and the unary calls' error mapping.
#include "service.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <thread>

#include "google/protobuf/util/json_util.h"

namespace paddock::scheduler {
namespace {

using namespace std::chrono_literals;

v1::TaskSpec Spec(const std::string& json) {
  v1::TaskSpec spec;
  REQUIRE(google::protobuf::util::JsonStringToMessage(json, &spec).ok());
  return spec;
}

std::unique_ptr<Engine> MemoryEngine() {
  EngineOptions o;
  o.cpus = CpuSet::OfThisProcess();
  auto e = Engine::Create(o);
  REQUIRE(e.ok());
  (*e)->Activate();
  return std::move(*e);
}

TEST_CASE("Subscribe streams every tick of the named task, in order, with its times") {
  auto engine = MemoryEngine();
  SchedulerService service(engine.get(), nullptr, nullptr);
  REQUIRE(engine->Add(Spec(R"({"name":"fast","periodic":{"interval_us":2000}})")).ok());
  REQUIRE(engine->Add(Spec(R"({"name":"other","periodic":{"interval_us":3000}})")).ok());
  v1::SubscribeRequest req;
  req.add_names("fast");
  std::vector<v1::Tick> got;
  grpc::Status st = service.Stream(
      req, [&] { return got.size() >= 30; },
      [&](const v1::Tick& t) {
        got.push_back(t);
        return true;
      });
  CHECK(st.ok());
  REQUIRE(got.size() >= 30);
  for (size_t i = 0; i < got.size(); ++i) {
    INFO(i);
    CHECK(got[i].task() == "fast");
    CHECK(got[i].clock() == v1::CLOCK_KIND_MONOTONIC);
    CHECK(got[i].latency_ns() == got[i].actual_ns() - got[i].scheduled_ns());
    CHECK(got[i].latency_ns() >= 0);
    CHECK(got[i].scheduled_ns() % 2'000'000 == 0);
    CHECK(got[i].dropped_before() == 0);
    if (i > 0) CHECK(got[i].sequence() == got[i - 1].sequence() + 1 + got[i].missed_before());
  }
}

TEST_CASE("Subscribe without names follows every task, including ones added later") {
  auto engine = MemoryEngine();
  SchedulerService service(engine.get(), nullptr, nullptr);
  REQUIRE(engine->Add(Spec(R"({"name":"first","periodic":{"interval_us":2000}})")).ok());
  std::map<std::string, int> seen;
  std::thread adder([&] {
    std::this_thread::sleep_for(100ms);
    REQUIRE(engine->Add(Spec(R"({"name":"second","periodic":{"interval_us":2000}})")).ok());
  });
  grpc::Status st = service.Stream(
      v1::SubscribeRequest(), [&] { return seen["second"] >= 10; },
      [&](const v1::Tick& t) {
        ++seen[t.task()];
        return true;
      });
  adder.join();
  CHECK(st.ok());
  CHECK(seen["first"] > 10);
  CHECK(seen["second"] >= 10);
}

TEST_CASE("Subscribe to an unknown task is NOT_FOUND, a client that leaves ends the stream") {
  auto engine = MemoryEngine();
  SchedulerService service(engine.get(), nullptr, nullptr);
  v1::SubscribeRequest req;
  req.add_names("ghost");
  grpc::Status st = service.Stream(
      req, [] { return false; }, [](const v1::Tick&) { return true; });
  CHECK(st.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK_THAT(st.error_message(), Catch::Contains("ghost"));

  REQUIRE(engine->Add(Spec(R"({"name":"t","periodic":{"interval_us":1000}})")).ok());
  int writes = 0;
  st = service.Stream(
      v1::SubscribeRequest(), [] { return false; }, [&](const v1::Tick&) { return ++writes < 3; });
  CHECK(st.ok());
  CHECK(writes == 3);
}

TEST_CASE("unary calls map engine errors to gRPC codes") {
  auto engine = MemoryEngine();
  paddock::AtomicSnapshot<std::string> note(std::make_shared<const std::string>(""));
  SchedulerService service(engine.get(), nullptr, &note);
  v1::AddTaskRequest add;
  *add.mutable_task() = Spec(R"({"name":"x","periodic":{"interval_us":50}})");
  v1::AddTaskResponse added;
  grpc::Status st = service.AddTask(nullptr, &add, &added);
  CHECK(st.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(st.error_message(), Catch::Contains("at least 100"));
  add.mutable_task()->mutable_periodic()->set_interval_us(1000);
  REQUIRE(service.AddTask(nullptr, &add, &added).ok());
  CHECK(added.task().state() == v1::TASK_ARMED);
  v1::StatsRequest sreq;
  v1::StatsResponse stats;
  std::this_thread::sleep_for(50ms);
  REQUIRE(service.Stats(nullptr, &sreq, &stats).ok());
  REQUIRE(stats.tasks_size() == 1);
  CHECK(stats.tasks(0).ticks() > 0);
  CHECK(stats.tasks(0).latency().count() > 0);
  CHECK(stats.memory_locked());
  CHECK(stats.active());
  v1::RemoveTaskRequest rm;
  rm.set_name("nope");
  v1::RemoveTaskResponse removed;
  CHECK(service.RemoveTask(nullptr, &rm, &removed).error_code() == grpc::StatusCode::NOT_FOUND);
  rm.set_name("x");
  CHECK(service.RemoveTask(nullptr, &rm, &removed).ok());
  CHECK(removed.task().spec().name() == "x");
  v1::ListTasksResponse list;
  CHECK(service.ListTasks(nullptr, nullptr, &list).ok());
  CHECK(list.tasks_size() == 0);
}

}  // namespace
}  // namespace paddock::scheduler
