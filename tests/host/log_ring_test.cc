#include "host/log_ring.h"

#include <catch2/catch.hpp>
#include <string>
#include <thread>

namespace paddock::host {
namespace {

paddock::v1::LogEntry Entry(const std::string& msg) {
  paddock::v1::LogEntry e;
  e.set_plugin("p");
  e.set_level("info");
  e.set_message(msg);
  e.set_stream("stderr");
  return e;
}

TEST_CASE("the ring numbers entries and tails them", "[log_ring]") {
  LogRing ring(1 << 20);
  CHECK(ring.Tail(0).empty());
  CHECK(ring.last_seq() == 0);
  for (int i = 1; i <= 10; ++i)
    CHECK(ring.Append(Entry("m" + std::to_string(i))) == static_cast<uint64_t>(i));
  auto all = ring.Tail(0);
  REQUIRE(all.size() == 10);
  CHECK(all.front().first == 1);
  CHECK(all.front().second.message() == "m1");
  auto last3 = ring.Tail(3);
  REQUIRE(last3.size() == 3);
  CHECK(last3[0].first == 8);
  CHECK(last3[2].second.message() == "m10");
  CHECK(ring.Tail(100).size() == 10);
  auto after = ring.After(7, absl::ZeroDuration());
  REQUIRE(after.size() == 3);
  CHECK(after[0].first == 8);
  CHECK(ring.After(10, absl::ZeroDuration()).empty());
  CHECK(ring.dropped() == 0);
}

TEST_CASE("the ring drops the oldest entries to stay within its bound", "[log_ring]") {
  const size_t one = LogRing::ApproximateSize(Entry(std::string(100, 'x')));
  LogRing ring(one * 10);
  for (int i = 0; i < 25; ++i) ring.Append(Entry(std::string(100, 'x')));
  CHECK(ring.bytes() <= one * 10);
  CHECK(ring.Tail(0).size() == 10);
  CHECK(ring.dropped() == 15);
  CHECK(ring.Tail(1)[0].first == 25);
  // A reader that fell behind gets the oldest held entries; the gap shows in the numbers.
  auto behind = ring.After(3, absl::ZeroDuration());
  REQUIRE(behind.size() == 10);
  CHECK(behind[0].first == 16);
  // An entry larger than the whole ring is kept alone.
  ring.Append(Entry(std::string(one * 20, 'y')));
  CHECK(ring.Tail(0).size() == 1);
  CHECK(ring.dropped() == 25);
  ring.Append(Entry("small"));
  CHECK(ring.Tail(0).size() == 1);
}

TEST_CASE("followers wait for new entries, time out, and wake on Close", "[log_ring]") {
  LogRing ring(1 << 20);
  ring.Append(Entry("first"));
  const absl::Time t0 = absl::Now();
  CHECK(ring.After(1, absl::Milliseconds(50)).empty());
  CHECK(absl::Now() - t0 >= absl::Milliseconds(45));

  std::thread writer([&] {
    absl::SleepFor(absl::Milliseconds(20));
    ring.Append(Entry("second"));
  });
  auto got = ring.After(1, absl::Seconds(10));
  writer.join();
  REQUIRE(got.size() == 1);
  CHECK(got[0].second.message() == "second");

  std::thread closer([&] {
    absl::SleepFor(absl::Milliseconds(20));
    ring.Close();
  });
  const absl::Time t1 = absl::Now();
  CHECK(ring.After(2, absl::Seconds(10)).empty());
  CHECK(absl::Now() - t1 < absl::Seconds(5));
  closer.join();
  CHECK(ring.closed());
  CHECK(ring.After(0, absl::Seconds(10)).size() == 2);  // Closed: returns what exists at once.
  ring.Append(Entry("late"));                           // Still stored after Close.
  CHECK(ring.last_seq() == 3);
}

TEST_CASE("concurrent writers and a follower see every sequence number once", "[log_ring]") {
  LogRing ring(1 << 24);
  constexpr int kWriters = 4;
  constexpr int kPerWriter = 2000;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&] {
      for (int i = 0; i < kPerWriter; ++i) ring.Append(Entry("x"));
    });
  }
  uint64_t seen = 0;
  uint64_t expected = 1;
  bool in_order = true;
  while (seen < kWriters * kPerWriter) {
    for (const auto& [seq, e] : ring.After(seen, absl::Seconds(5))) {
      in_order = in_order && seq == expected;
      ++expected;
      seen = seq;
    }
  }
  for (auto& t : writers) t.join();
  CHECK(in_order);
  CHECK(ring.last_seq() == kWriters * kPerWriter);
}

}  // namespace
}  // namespace paddock::host
