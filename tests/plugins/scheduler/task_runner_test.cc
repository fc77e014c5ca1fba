// Timer threads: periodic ticks land on their grid at the right times, one-shot fires once,
// the thread is pinned where asked, skip/catch-up after a stall, spin mode, invokes and
// their overruns. Real-clock tolerances are generous (this is not the benchmark).
#include "task_runner.h"

#include <sched.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "fake_clock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "task_spec.h"

namespace paddock::scheduler {
namespace {

using namespace std::chrono_literals;

v1::TaskSpec Spec(const std::string& json) {
  v1::TaskSpec spec;
  REQUIRE(google::protobuf::util::JsonStringToMessage(json, &spec).ok());
  return spec;
}

std::unique_ptr<TaskRunner> Start(const v1::TaskSpec& spec, RunnerDeps deps) {
  absl::StatusOr<std::unique_ptr<TaskRunner>> r = TaskRunner::Start(spec, std::move(deps));
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return std::move(*r);
}

std::vector<TickRecord> ReadAll(const TickRing& ring) {
  std::vector<TickRecord> out;
  for (uint64_t i = 0; i < ring.published(); ++i) {
    TickRecord r;
    if (ring.Read(i, &r) == TickRing::ReadResult::kOk) out.push_back(r);
  }
  return out;
}

// The value of `key` in /proc/self/task/<tid>/status.
std::string TaskStatus(int tid, const std::string& key) {
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) {
      std::string v = line.substr(key.size() + 1);
      return v.substr(v.find_first_not_of(" \t"));
    }
  }
  return "";
}

bool WaitFor(const std::function<bool()>& pred, std::chrono::milliseconds limit) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

TEST_CASE("periodic ticks land on the grid at the right times") {
  TickSignal signal;
  RunnerDeps deps{&SystemClock(), &signal, nullptr, nullptr};
  auto runner =
      Start(Spec(R"({"name":"p10","periodic":{"interval_us":10000,"phase_us":3000}})"), deps);
  CHECK(runner->applied().name == "sch-p10");
  CHECK(runner->applied().policy == "SCHED_OTHER");
  REQUIRE(WaitFor([&] { return runner->ring().published() >= 40; }, 10000ms));
  runner->Stop();
  std::vector<TickRecord> ticks = ReadAll(runner->ring());
  RunnerStats s = runner->Stats();
  // One deadline per 10 ms of the time the task was armed, each either fired or missed.
  uint64_t missed = 0;
  for (const TickRecord& t : ticks) missed += t.missed_before;
  const int64_t expected = static_cast<int64_t>(s.wall_ns / 10'000'000);
  INFO("ticks " << ticks.size() << " missed " << missed << " wall " << s.wall_ns);
  CHECK(std::abs(static_cast<int64_t>(ticks.size() + missed) - expected) <= 2);
  for (size_t i = 0; i < ticks.size(); ++i) {
    INFO(i);
    CHECK(ticks[i].scheduled_ns % 10'000'000 == 3'000'000);
    CHECK(ticks[i].actual_ns >= ticks[i].scheduled_ns);
    CHECK(ticks[i].actual_ns - ticks[i].scheduled_ns < 20'000'000);
    if (i > 0) {
      CHECK(ticks[i].scheduled_ns - ticks[i - 1].scheduled_ns ==
            10'000'000 * int64_t(1 + ticks[i].missed_before));
      CHECK(ticks[i].sequence == ticks[i - 1].sequence + 1 + ticks[i].missed_before);
    }
  }
  CHECK(s.ticks == ticks.size());
  CHECK(s.misses == missed);
  CHECK(s.latency.count == ticks.size());
  CHECK(s.latency.max_ns < 20'000'000);
  CHECK(s.spin_margin_ns == 0);
}

TEST_CASE("the timer thread is pinned to the CPU asked for and reports its class") {
  const CpuSet cpus = CpuSet::OfThisProcess();
  const int cpu = cpus.Contains(1) ? 1 : 0;
  TickSignal signal;
  RunnerDeps deps{&SystemClock(), &signal, nullptr, nullptr};
  auto runner = Start(Spec(absl::StrCat(R"({"name":"pin","periodic":{"interval_us":5000},"cpu":)",
                                        cpu, R"(,"policy":"SCHED_POLICY_FIFO","priority":10})")),
                      deps);
  const ThreadApplied& a = runner->applied();
  CHECK(a.cpu == cpu);
  CHECK(TaskStatus(a.tid, "Cpus_allowed_list") == std::to_string(cpu));
  CHECK(TaskStatus(a.tid, "Name") == "sch-pin");
  // SCHED_FIFO where this process may (root outside a limited cgroup); otherwise explained.
  const int policy = sched_getscheduler(a.tid);
  if (a.policy == "SCHED_FIFO") {
    CHECK(policy == SCHED_FIFO);
    CHECK(a.priority == 10);
    CHECK(a.note.empty());
  } else {
    CHECK(policy == SCHED_OTHER);
    CHECK_THAT(a.note, Catch::Contains("SCHED_FIFO refused"));
  }
  // A CPU that does not exist fails the start (the spec check normally catches it first).
  v1::TaskSpec bad = Spec(R"({"name":"bad","periodic":{"interval_us":5000},"cpu":1000})");
  absl::StatusOr<std::unique_ptr<TaskRunner>> r = TaskRunner::Start(bad, deps);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(std::string(r.status().message()), Catch::Contains("pin timer thread to CPU 1000"));
}

TEST_CASE("a one-shot task fires once, then reports done") {
  TickSignal signal;
  std::atomic<int> done_calls{0};
  RunnerDeps deps{&SystemClock(), &signal, nullptr, [&](const std::string& name) {
                    CHECK(name == "once");
                    ++done_calls;
                  }};
  v1::TaskSpec spec = Spec(R"({"name":"once","one_shot":{"in_ms":1}})");
  const int64_t at = SystemClock().Now(ClockId::kRealtime) + 80'000'000;
  *spec.mutable_one_shot()->mutable_at() =
      google::protobuf::util::TimeUtil::NanosecondsToTimestamp(at);
  spec.mutable_one_shot()->set_in_ms(0);
  auto runner = Start(spec, deps);
  CHECK(runner->Stats().has_next);
  REQUIRE(WaitFor([&] { return done_calls.load() == 1; }, 3000ms));
  std::this_thread::sleep_for(100ms);
  std::vector<TickRecord> ticks = ReadAll(runner->ring());
  REQUIRE(ticks.size() == 1);
  CHECK(ticks[0].scheduled_ns == at);
  CHECK(ticks[0].actual_ns >= at);
  CHECK(ticks[0].actual_ns - at < 50'000'000);
  RunnerStats s = runner->Stats();
  CHECK(s.done);
  CHECK_FALSE(s.has_next);
  CHECK(s.ticks == 1);
  CHECK(done_calls == 1);
}

// Stalls the simulated clock past ten deadlines and returns the ticks that follow.
std::vector<TickRecord> StallTenDeadlines(const std::string& on_miss, RunnerStats* stats) {
  const int64_t m = 1'000'000'000;
  testing::FakeClock clock(m, 1'700'000'000 * m);
  TickSignal signal;
  RunnerDeps deps{&clock, &signal, nullptr, nullptr};
  auto runner = Start(
      Spec(R"({"name":"stall","periodic":{"interval_us":1000},"on_miss":")" + on_miss + "\"}"),
      deps);
  clock.AllowUntilMono(m + 3'000'000);  // Deadlines m+1, m+2, m+3 ms.
  REQUIRE(WaitFor([&] { return runner->ring().published() == 3; }, 3000ms));
  clock.Jump(10'500'000);  // Now m+13.5 ms: deadlines m+4 .. m+13 ms are all due.
  std::this_thread::sleep_for(200ms);
  runner->Stop();
  *stats = runner->Stats();
  return ReadAll(runner->ring());
}

TEST_CASE("after a stall MISS_SKIP fires once for the latest deadline and counts the misses") {
  RunnerStats s;
  std::vector<TickRecord> ticks = StallTenDeadlines("MISS_SKIP", &s);
  REQUIRE(ticks.size() == 4);
  CHECK(ticks[3].scheduled_ns == 1'013'000'000);
  CHECK(ticks[3].actual_ns == 1'013'500'000);
  CHECK(ticks[3].missed_before == 9);
  CHECK(ticks[3].sequence == 12);
  CHECK(s.misses == 9);
  CHECK(s.ticks == 4);
}

TEST_CASE("after a stall MISS_CATCH_UP fires every missed deadline back to back") {
  RunnerStats s;
  std::vector<TickRecord> ticks = StallTenDeadlines("MISS_CATCH_UP", &s);
  REQUIRE(ticks.size() == 13);
  for (size_t i = 3; i < 13; ++i) {
    CHECK(ticks[i].scheduled_ns == 1'000'000'000 + int64_t(i + 1) * 1'000'000);
    CHECK(ticks[i].actual_ns == 1'013'500'000);
    CHECK(ticks[i].sequence == i);
    CHECK(ticks[i].missed_before == 0);
  }
  CHECK(s.misses == 0);
  CHECK(s.latency.max_ns == 9'500'000);
}

TEST_CASE("spin mode wakes early and busy-waits to the deadline") {
  TickSignal signal;
  RunnerDeps deps{&SystemClock(), &signal, nullptr, nullptr};
  auto runner =
      Start(Spec(R"({"name":"spin","periodic":{"interval_us":1000},"precision":"PRECISION_SPIN"})"),
            deps);
  REQUIRE(WaitFor([&] { return runner->Stats().ticks >= 200; }, 10000ms));
  runner->Stop();
  RunnerStats s = runner->Stats();
  CHECK(s.spin_margin_ns >= 5'000);
  CHECK(s.spin_margin_ns <= 250'000);  // A quarter of the interval at most.
  // The median tick starts within a few microseconds of its deadline; generous here (a
  // loaded machine preempts a SCHED_OTHER spinner).
  CHECK(s.latency.p50_ns < 500'000);
  CHECK(s.thread_cpu_ns > 0);
}

TEST_CASE("ticks invoke the target, slow invokes coalesce ticks and count overruns") {
  TickSignal signal;
  std::atomic<int> calls{0};
  RunnerDeps deps{&SystemClock(), &signal,
                  [&](const std::string& target, const std::string& json, uint32_t timeout_ms) {
                    CHECK(target == "hello/Greet");
                    CHECK(json == "{\"name\":\"x\"}");
                    CHECK(timeout_ms == 5000);
                    ++calls;
                    std::this_thread::sleep_for(20ms);
                    return absl::StatusOr<std::string>("{}");
                  },
                  nullptr};
  auto runner = Start(Spec(R"({"name":"inv","periodic":{"interval_us":2000},
                               "invoke":{"target":"hello/Greet","json":"{\"name\":\"x\"}"}})"),
                      deps);
  REQUIRE(WaitFor([&] { return calls.load() >= 5 && runner->Stats().overruns >= 20; }, 10000ms));
  runner->Stop();
  RunnerStats s = runner->Stats();
  CHECK(s.invokes_ok == static_cast<uint64_t>(calls.load()));
  CHECK(s.invokes_failed == 0);
  // Ticks every 2 ms, invokes of 20 ms: most ticks are coalesced into the next invoke.
  CHECK(s.ticks >= s.invokes_ok + s.overruns);
}

TEST_CASE("failed invokes are counted with the last error") {
  TickSignal signal;
  RunnerDeps deps{&SystemClock(), &signal,
                  [](const std::string&, const std::string&, uint32_t) {
                    return absl::StatusOr<std::string>(
                        absl::PermissionDeniedError("scheduler may not invoke hello/Greet"));
                  },
                  nullptr};
  auto runner = Start(Spec(R"({"name":"deny","periodic":{"interval_us":10000},
                               "invoke":{"target":"hello/Greet"}})"),
                      deps);
  REQUIRE(WaitFor([&] { return runner->Stats().invokes_failed > 0; }, 10000ms));
  runner->Stop();
  RunnerStats s = runner->Stats();
  CHECK(s.invokes_ok == 0);
  CHECK_THAT(s.last_invoke_error, Catch::Contains("may not invoke"));
}

TEST_CASE("a task that invokes needs an invoke function") {
  TickSignal signal;
  RunnerDeps deps{&SystemClock(), &signal, nullptr, nullptr};
  auto r = TaskRunner::Start(
      Spec(R"({"name":"x","periodic":{"interval_us":1000},"invoke":{"target":"a/B"}})"), deps);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace paddock::scheduler
