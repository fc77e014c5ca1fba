// Tests of config snapshots: strict typed parsing and whole swaps under concurrent readers.
#include "paddock/config.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>
#include <vector>

#include "google/protobuf/struct.pb.h"
#include "google/protobuf/wrappers.pb.h"
#include "paddock/v1/bootstrap.pb.h"
#include "plugin-sdk/context_impl.h"

namespace paddock {
namespace {

TEST_CASE("As<T> parses strictly", "[config]") {
  ConfigSnapshot good(3, R"({"version": 9, "json": "x"})");
  auto parsed = good.As<v1::ConfigSnapshot>();
  REQUIRE(parsed.ok());
  CHECK(parsed->version() == 9);

  ConfigSnapshot unknown(3, R"({"version": 9, "nope": 1})");
  auto bad = unknown.As<v1::ConfigSnapshot>();
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(bad.status().message()).find("nope") != std::string::npos);

  CHECK_FALSE(ConfigSnapshot(1, "{not json").As<v1::ConfigSnapshot>().ok());
}

TEST_CASE("an empty config is an empty object", "[config]") {
  v1::ConfigSnapshot proto;
  auto snap = sdk::MakeSnapshot(proto);
  CHECK(snap->version() == 0);
  CHECK(snap->json() == "{}");
  CHECK(snap->As<google::protobuf::Struct>().ok());
}

// Each snapshot is internally consistent: json holds the version as text. A reader that
// ever saw a mismatch would have seen half of one snapshot and half of another.
TEST_CASE("readers see whole snapshots while a writer swaps them", "[config]") {
  AtomicSnapshot<ConfigSnapshot> current(std::make_shared<const ConfigSnapshot>(0, "0"));
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> torn{0}, reads{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      uint64_t last = 0;
      while (!stop.load()) {
        std::shared_ptr<const ConfigSnapshot> s = current.Load();
        if (s->json() != std::to_string(s->version()) || s->version() < last) ++torn;
        last = s->version();
        ++reads;
      }
    });
  }
  // Keep swapping until the readers have overlapped with many swaps (on a loaded machine
  // they may start late), within a time bound.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  uint64_t v = 0;
  while ((v < 20000 || reads.load() < 20000) && std::chrono::steady_clock::now() < give_up) {
    ++v;
    current.Store(std::make_shared<const ConfigSnapshot>(v, std::to_string(v)));
  }
  stop = true;
  for (auto& t : readers) t.join();
  CHECK(torn == 0);
  CHECK(reads >= 20000);
  CHECK(current.Load()->version() == v);
}

}  // namespace
}  // namespace paddock
