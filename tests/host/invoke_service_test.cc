// InvokeService's decisions that come before any plugin is reached: malformed targets, deny by
// default, an ACL change applied to the next invoke. (Forwarding to a serving plugin is
// covered by tests/integration/scheduler_invoke_test.cc.)
#include "host/invoke_service.h"

#include <catch2/catch.hpp>

#include "host/config.h"
#include "host/host_metrics.h"

namespace paddock::host {
namespace {

paddock::v1::HostConfig Config(const char* json) {
  auto c = ParseHostConfig(json);
  REQUIRE(c.ok());
  return *c;
}

paddock::v1::InvokeRequest Request(const std::string& target) {
  paddock::v1::InvokeRequest r;
  r.set_target(target);
  return r;
}

// The value of paddock_host_invoke_denied_total{caller=`caller`}, 0 when it has no sample.
double DeniedCount(const HostMetrics& metrics, const std::string& caller) {
  std::vector<paddock::v1::MetricFamily> families;
  metrics.AppendFamilies(&families);
  for (const auto& f : families) {
    if (f.name() != "paddock_host_invoke_denied_total") continue;
    for (const auto& s : f.samples()) {
      auto it = s.labels().find("caller");
      if (it != s.labels().end() && it->second == caller) return s.value();
    }
  }
  return 0;
}

TEST_CASE("invokes are denied unless the caller's ACL names the target plugin") {
  Router router;  // No routes: nothing here may get as far as a plugin.
  LiveConfig live(Config(R"({"plugins": {"a": {"invoke": ["b/Ping"]}, "c": {}}})"));
  HostMetrics metrics;
  InvokeService service(&router, /*supervisor=*/nullptr, &live, &metrics);

  for (const char* caller : {"c", "unknown"}) {
    INFO(caller);
    auto r = service.InvokeAs(caller, Request("b/Ping"));
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == absl::StatusCode::kPermissionDenied);
    CHECK_THAT(std::string(r.status().message()),
               Catch::Contains(std::string("plugin \"") + caller +
                               "\" may not invoke \"b/Ping\": not allowed by plugins." + caller +
                               ".invoke"));
  }
  // Named plugin, other one: denied the same way, so it learns nothing about "d".
  auto other = service.InvokeAs("a", Request("d/Ping"));
  CHECK(other.status().code() == absl::StatusCode::kPermissionDenied);

  // Repeated denials stay denials (the log is rate-limited, the answer is not).
  for (int i = 0; i < 3; ++i) {
    CHECK(service.InvokeAs("c", Request("b/Ping")).status().code() ==
          absl::StatusCode::kPermissionDenied);
  }

  // Taken out of the ACL by a new config: the next invoke is denied.
  live.Set(Config(R"({"plugins": {"a": {"invoke": []}}})"));
  CHECK(service.InvokeAs("a", Request("b/Ping")).status().code() ==
        absl::StatusCode::kPermissionDenied);

  // Every denial is counted by caller, also those whose log line was rate-limited away.
  CHECK(DeniedCount(metrics, "c") == 4);
  CHECK(DeniedCount(metrics, "unknown") == 1);
  CHECK(DeniedCount(metrics, "a") == 2);
}

TEST_CASE("malformed invokes get InvalidArgument before any ACL lookup") {
  Router router;
  LiveConfig live(Config(R"({"plugins": {"a": {"invoke": ["b/*"]}}})"));
  InvokeService service(&router, nullptr, &live);
  for (const char* target : {"", "b", "b/", "B/Ping", "b/Pi ng", "b/Ping\n"}) {
    INFO(target);
    CHECK(service.InvokeAs("a", Request(target)).status().code() ==
          absl::StatusCode::kInvalidArgument);
  }
  CHECK(service.InvokeAs("a", Request("b/" + std::string(600, 'x'))).status().code() ==
        absl::StatusCode::kInvalidArgument);
  paddock::v1::InvokeRequest slow = Request("b/Ping");
  slow.set_timeout_ms(3600 * 1000);
  auto r = service.InvokeAs("a", slow);
  CHECK(r.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(r.status().message()), Catch::Contains("timeout_ms"));
}

}  // namespace
}  // namespace paddock::host
