#include "sample_hub.h"

#include <catch2/catch.hpp>
#include <thread>

namespace {

using paddock::http_sampler::Matches;
using paddock::http_sampler::SampleHub;
namespace v1 = paddock::http_sampler::v1;
using std::chrono::milliseconds;

v1::Sample S(const std::string& path, uint32_t status, uint32_t port = 80) {
  v1::Sample s;
  s.set_method("GET");
  s.set_path(path);
  s.set_host("h");
  s.set_status(status);
  s.set_server_port(port);
  return s;
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
  for (int i = 0; i < 10; ++i) hub.Publish(S("/old" + std::to_string(i), 200));
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
  hub.Publish(S("/new", 200));  // Filtered out.
  hub.Publish(S("/old-live", 200));
  REQUIRE(sub->Next(&got, milliseconds(100)));
  CHECK(got.path() == "/old-live");
  hub.Unsubscribe(sub);
  CHECK(hub.subscribers() == 0);
}

TEST_CASE("a slow subscriber loses the oldest, never blocks the publisher", "[hub]") {
  SampleHub hub;
  auto sub = hub.Subscribe(v1::SamplesRequest());
  for (size_t i = 0; i < SampleHub::kQueue + 5; ++i) hub.Publish(S("/" + std::to_string(i), 200));
  CHECK(sub->dropped() == 5);
  v1::Sample got;
  REQUIRE(sub->Next(&got, milliseconds(10)));
  CHECK(got.path() == "/5");
}

TEST_CASE("closing ends waiting subscribers after their queue", "[hub]") {
  SampleHub hub;
  auto sub = hub.Subscribe(v1::SamplesRequest());
  hub.Publish(S("/last", 200));
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
