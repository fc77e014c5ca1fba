// Task definition validation: every bad field gets an InvalidArgument naming it.
#include "task_spec.h"

#include <catch2/catch.hpp>

#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"

namespace paddock::scheduler {
namespace {

v1::TaskSpec Parse(const std::string& json) {
  v1::TaskSpec spec;
  auto st = google::protobuf::util::JsonStringToMessage(json, &spec);
  INFO(json << ": " << st.ToString());
  REQUIRE(st.ok());
  return spec;
}

std::string Error(const std::string& json, const CpuSet& cpus = CpuSet({0, 1})) {
  absl::Status st = ValidateTaskSpec(Parse(json), cpus);
  INFO(json);
  REQUIRE_FALSE(st.ok());
  CHECK(st.code() == absl::StatusCode::kInvalidArgument);
  return std::string(st.message());
}

TEST_CASE("good specs pass") {
  const CpuSet cpus({0, 1});
  for (const char* json : {
           R"({"name":"a","periodic":{"interval_us":100}})",
           R"({"name":"tick-1","periodic":{"interval_us":1000,"phase_us":999},"cpu":1,
               "policy":"SCHED_POLICY_FIFO","priority":80,"precision":"PRECISION_SPIN",
               "spin_margin_us":50,"on_miss":"MISS_CATCH_UP"})",
           R"({"name":"once","one_shot":{"in_ms":5}})",
           R"({"name":"once2","one_shot":{"at":"2030-01-01T00:00:00Z"}})",
           R"({"name":"c","cron":{"expression":"*/5 * * * *"},"cpu":0})",
           R"({"name":"inv","periodic":{"interval_us":1000000},
               "invoke":{"target":"hello/Greet","json":"{\"name\":\"x\"}"}})",
           R"({"name":"inv2","periodic":{"interval_us":1000000},
               "invoke":{"target":"hello/paddock.hello.v1.Hello/Greet"}})",
       }) {
    INFO(json);
    absl::Status st = ValidateTaskSpec(Parse(json), cpus);
    CHECK(st.ToString() == "OK");
  }
}

TEST_CASE("bad specs are refused with the field and the reason") {
  CHECK_THAT(Error(R"({"name":"a","periodic":{"interval_us":0}})"),
             Catch::Contains("periodic.interval_us: must be at least 100 microseconds, got 0"));
  CHECK_THAT(Error(R"({"name":"a","periodic":{"interval_us":99}})"), Catch::Contains("got 99"));
  CHECK_THAT(Error(R"({"name":"a","periodic":{"interval_us":100000000000}})"),
             Catch::Contains("at most one day"));
  CHECK_THAT(Error(R"({"name":"a","periodic":{"interval_us":1000,"phase_us":1000}})"),
             Catch::Contains("phase_us: must be less than interval_us"));
  CHECK_THAT(Error(R"({"name":"a"})"), Catch::Contains("no schedule"));
  CHECK_THAT(Error(R"({"name":"","periodic":{"interval_us":1000}})"), Catch::Contains("name"));
  CHECK_THAT(Error(R"({"name":"Bad Name","periodic":{"interval_us":1000}})"),
             Catch::Contains("must match"));
  CHECK_THAT(Error(R"({"name":"a","one_shot":{}})"), Catch::Contains("exactly one of"));
  CHECK_THAT(Error(R"({"name":"a","one_shot":{"in_ms":5,"at":"2030-01-01T00:00:00Z"}})"),
             Catch::Contains("exactly one of"));
  CHECK_THAT(Error(R"({"name":"a","cron":{"expression":"61 * * * *"}})"),
             Catch::Contains("cron.expression: cron \"61 * * * *\": minute: 61"));
  CHECK_THAT(Error(R"({"name":"a","cron":{"expression":""}})"), Catch::Contains("need 5 fields"));
  CHECK_THAT(Error(R"({"name":"a","periodic":{"interval_us":1000},"cpu":7})"),
             Catch::Contains("cpu: CPU 7 does not exist or is not in this plugin's cpuset "
                             "(allowed: 0-1)"));
  CHECK_THAT(Error(R"({"name":"a","periodic":{"interval_us":1000},"cpu":-1})"),
             Catch::Contains("not a CPU number"));
  CHECK_THAT(Error(R"({"name":"a","periodic":{"interval_us":1000},"cpu":1})", CpuSet({0})),
             Catch::Contains("allowed: 0)"));
  CHECK_THAT(Error(R"({"name":"a","periodic":{"interval_us":1000},"policy":"SCHED_POLICY_FIFO"})"),
             Catch::Contains("priority: must be 1..99"));
  CHECK_THAT(Error(R"({"name":"a","periodic":{"interval_us":1000},"priority":5})"),
             Catch::Contains("must be 0 for SCHED_POLICY_OTHER"));
  CHECK_THAT(Error(R"({"name":"a","periodic":{"interval_us":1000},"spin_margin_us":5})"),
             Catch::Contains("only applies to PRECISION_SPIN"));
  CHECK_THAT(Error(R"({"name":"a","periodic":{"interval_us":1000},"precision":"PRECISION_SPIN",
                       "spin_margin_us":1000})"),
             Catch::Contains("less than the interval"));
  CHECK_THAT(Error(R"({"name":"a","periodic":{"interval_us":1000},"invoke":{"target":"hello"}})"),
             Catch::Contains("invoke.target: \"hello\" is not \"plugin/Method\""));
  CHECK_THAT(Error(R"({"name":"a","periodic":{"interval_us":1000},"invoke":{"target":"/Greet"}})"),
             Catch::Contains("plugin/Method"));
  CHECK_THAT(
      Error(R"({"name":"a","periodic":{"interval_us":1000},"invoke":{"target":"Hello/Greet"}})"),
      Catch::Contains("not a plugin name"));
  CHECK_THAT(
      Error(R"({"name":"a","periodic":{"interval_us":1000},"invoke":{"target":"hello/Gr eet"}})"),
      Catch::Contains("not a method name"));
  CHECK_THAT(Error(R"({"name":"a","periodic":{"interval_us":1000},
                       "invoke":{"target":"hello/Greet","timeout_ms":600000}})"),
             Catch::Contains("invoke.timeout_ms"));
  v1::TaskSpec bad_enum = Parse(R"({"name":"a","periodic":{"interval_us":1000}})");
  bad_enum.set_on_miss(static_cast<v1::MissPolicy>(7));
  CHECK_THAT(std::string(ValidateTaskSpec(bad_enum, CpuSet({0})).message()),
             Catch::Contains("on_miss: unknown value 7"));
}

TEST_CASE("a relative one-shot becomes absolute") {
  v1::TaskSpec spec = Parse(R"({"name":"once","one_shot":{"in_ms":1500}})");
  NormalizeTaskSpec(&spec, 1'000'000'000'000);
  CHECK(spec.one_shot().in_ms() == 0);
  CHECK(google::protobuf::util::TimeUtil::TimestampToNanoseconds(spec.one_shot().at()) ==
        1'001'500'000'000);
}

TEST_CASE("cpu sets print like Cpus_allowed_list") {
  CHECK(CpuSet({0, 1, 2, 5, 7, 8}).ToString() == "0-2,5,7-8");
  CHECK(CpuSet({3}).ToString() == "3");
  CHECK(CpuSet().ToString() == "");
  CHECK_FALSE(CpuSet::OfThisProcess().empty());
}

}  // namespace
}  // namespace paddock::scheduler
