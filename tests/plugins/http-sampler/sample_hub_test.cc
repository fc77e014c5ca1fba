#include "sample_hub.h"

#include <catch2/catch.hpp>
#include <thread>

#include "plugins/http-sampler/samples.h"

namespace {

using paddock::http_sampler::Matches;
using paddock::http_sampler::SampleHub;
namespace v1 = paddock::http_sampler::v1;
using std::chrono::milliseconds;

using paddock::http_sampler::Completed;
using paddock::http_sampler::ToSample;
using paddock::http_sampler::testing::MakeCompleted;

Completed C(const std::string& path, uint16_t status, uint16_t port = 80) {
  return MakeCompleted(HS_METHOD_GET, path, "h", status, 10, port);
}

v1::Sample S(const std::string& path, uint16_t status, uint16_t port = 80) {
  return ToSample(C(path, status, port), 0);
}

}  // namespace

TEST_CASE("filters match on every field that is set", "[hub]") {
  v1::SamplesRequest f;
  CHECK(Matches(f, S("/a", 200)));
  f.set_path_prefix("/a");
  CHECK(Matches(f, S("/abc", 200)));
  CHECK(!Matches(f, S("/b", 200)));
  f.set_status(404);
  CHECK(!Matches(f, S("/a", 200)));
  f.set_status(0);
  f.set_server_port(8080);
  CHECK(!Matches(f, S("/a", 200, 80)));
  f.set_server_port(0);
  f.set_method("POST");
  CHECK(!Matches(f, S("/a", 200)));
  f.set_method("");
  f.set_host("other");
  CHECK(!Matches(f, S("/a", 200)));
}

TEST_CASE("subscribers get a backlog, then live samples, filtered", "[hub]") {
  SampleHub hub;
  for (int i = 0; i < 10; ++i) hub.Publish({C("/old" + std::to_string(i), 200)});
  v1::SamplesRequest f;
  f.set_backlog(3);
  f.set_path_prefix("/old");
  auto sub = hub.Subscribe(f);
  v1::Sample got;
  for (int i = 7; i < 10; ++i) {
    REQUIRE(sub->Next(&got, milliseconds(10)));
    CHECK(got.path() == "/old" + std::to_string(i));
  }
  CHECK(!sub->Next(&got, milliseconds(10)));
  hub.Publish({C("/new", 200)});  // Filtered out.
  hub.Publish({C("/old-live", 200)});
  REQUIRE(sub->Next(&got, milliseconds(100)));
  CHECK(got.path() == "/old-live");
  hub.Unsubscribe(sub);
  CHECK(hub.subscribers() == 0);
}

TEST_CASE("a slow subscriber loses the oldest, never blocks the publisher", "[hub]") {
  SampleHub hub;
  auto sub = hub.Subscribe(v1::SamplesRequest());
  for (size_t i = 0; i < SampleHub::kQueue + 5; ++i) hub.Publish({C("/" + std::to_string(i), 200)});
  CHECK(sub->dropped() == 5);
  v1::Sample got;
  REQUIRE(sub->Next(&got, milliseconds(10)));
  CHECK(got.path() == "/5");
}

TEST_CASE("closing ends waiting subscribers after their queue", "[hub]") {
  SampleHub hub;
  auto sub = hub.Subscribe(v1::SamplesRequest());
  hub.Publish({C("/last", 200)});
  std::thread closer([&] {
    std::this_thread::sleep_for(milliseconds(20));
    hub.Close();
  });
  v1::Sample got;
  REQUIRE(sub->Next(&got, milliseconds(1000)));
  CHECK(got.path() == "/last");
  CHECK(!sub->Next(&got, milliseconds(5000)));  // Returns at Close, not at the timeout.
  closer.join();
  CHECK(sub->closed());
  CHECK(hub.Subscribe(v1::SamplesRequest())->closed());
}

TEST_CASE("samples are built per subscriber filter, with Unix time", "[hub]") {
  SampleHub hub(/*mono_to_unix_ns=*/1'000'000'000);
  v1::SamplesRequest by_port;
  by_port.set_server_port(8080);
  auto port_sub = hub.Subscribe(by_port);
  v1::SamplesRequest by_method;
  by_method.set_method("POST");
  auto method_sub = hub.Subscribe(by_method);
  Completed post = MakeCompleted(HS_METHOD_POST, "/p", "h", 201, 5, 8080, /*ts_ns=*/7);
  hub.Publish({C("/other-port", 200, 81), post, C("/get", 200, 8080)});
  v1::Sample got;
  REQUIRE(port_sub->Next(&got, milliseconds(10)));
  CHECK(got.path() == "/p");
  CHECK(got.unix_nanos() == 1'000'000'007);
  CHECK(got.status() == 201);
  REQUIRE(port_sub->Next(&got, milliseconds(10)));
  CHECK(got.path() == "/get");
  CHECK(!port_sub->Next(&got, milliseconds(10)));
  REQUIRE(method_sub->Next(&got, milliseconds(10)));
  CHECK(got.method() == "POST");
  CHECK(!method_sub->Next(&got, milliseconds(10)));
}

TEST_CASE("the history keeps the last kRecent samples", "[hub]") {
  SampleHub hub;
  std::vector<Completed> batch;
  for (size_t i = 0; i < SampleHub::kRecent + 10; ++i) batch.push_back(C(std::to_string(i), 200));
  hub.Publish(batch);
  v1::SamplesRequest f;
  f.set_backlog(SampleHub::kRecent);
  auto sub = hub.Subscribe(f);
  v1::Sample got;
  REQUIRE(sub->Next(&got, milliseconds(10)));
  CHECK(got.path() == "10");  // The oldest kept.
  size_t n = 1;
  while (sub->Next(&got, milliseconds(1))) ++n;
  CHECK(n == SampleHub::kRecent);
  CHECK(got.path() == std::to_string(SampleHub::kRecent + 9));
}

TEST_CASE("a batch longer than the history keeps its last samples, in order", "[hub]") {
  // Without subscribers the hub copies only the part of a batch the history keeps.
  auto batch = [](int from, int n) {
    std::vector<Completed> b;
    for (int i = from; i < from + n; ++i) b.push_back(C("/" + std::to_string(i), 200));
    return b;
  };
  auto backlog = [](SampleHub& hub) {
    v1::SamplesRequest f;
    f.set_backlog(SampleHub::kRecent);
    auto sub = hub.Subscribe(f);
    std::vector<std::string> paths;
    v1::Sample got;
    while (sub->Next(&got, milliseconds(0))) paths.push_back(got.path());
    hub.Unsubscribe(sub);
    return paths;
  };
  const int kRecent = static_cast<int>(SampleHub::kRecent);
  for (int before : {0, 10, kRecent, kRecent + 7}) {
    SampleHub hub;
    if (before > 0) hub.Publish(batch(-before, before));  // Empty, part full, full, wrapped.
    hub.Publish(batch(0, kRecent + 100));
    std::vector<std::string> paths = backlog(hub);
    INFO("history before: " << before);
    REQUIRE(paths.size() == SampleHub::kRecent);
    CHECK(paths.front() == "/100");
    CHECK(paths.back() == "/" + std::to_string(kRecent + 99));
    bool ordered = true;
    for (int i = 0; i < kRecent; ++i)
      ordered = ordered && paths[i] == "/" + std::to_string(100 + i);
    CHECK(ordered);
    // And what comes next still goes after them.
    hub.Publish(batch(kRecent + 100, 5));
    paths = backlog(hub);
    REQUIRE(paths.size() == SampleHub::kRecent);
    CHECK(paths.front() == "/105");
    CHECK(paths.back() == "/" + std::to_string(kRecent + 104));
  }
}

TEST_CASE("backlogs and live batches come oldest request first", "[hub]") {
  // The reader completes samples ring after ring (one per CPU): a batch may hold a later
  // request before an earlier one.
  auto at = [](const std::string& path, uint64_t ts) {
    return paddock::http_sampler::testing::MakeCompleted(HS_METHOD_GET, path, "h", 200, 10, 80, ts);
  };
  SampleHub hub(0);
  hub.Publish({at("/3", 3000), at("/1", 1000), at("/2", 2000)});
  v1::SamplesRequest f;
  f.set_backlog(10);
  auto sub = hub.Subscribe(f);
  hub.Publish({at("/6", 6000), at("/4", 4000), at("/5", 5000)});
  v1::Sample got;
  for (int i = 1; i <= 6; ++i) {
    REQUIRE(sub->Next(&got, milliseconds(10)));
    CHECK(got.path() == "/" + std::to_string(i));
  }
}
