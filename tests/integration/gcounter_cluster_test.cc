// gcounter across five real paddockd hosts, each in its own network namespace on a shared
// bridge: exact totals after concurrent increments everywhere, also with 20% loss
// (nftables numgen) plus duplicated and late (reordered) packets, and across a partition
// that heals.
#include <catch2/catch.hpp>
#include <thread>

#include "integration/gcounter_cluster.h"

using namespace paddock::testing::gcounter;

namespace {

// Every node makes `per_node` increments of `name` at once (node i adds i+1 each time);
// returns the sum of the acknowledged ones.
int64_t IncrementEverywhere(GcCluster& c, const std::string& name, int per_node,
                            int* failed = nullptr) {
  std::vector<int64_t> acked(c.size(), 0);
  std::vector<int> failures(c.size(), 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < c.size(); ++i) {
    threads.emplace_back([&, i] {
      for (int k = 0; k < per_node; ++k) {
        if (c.Increment(i, name, i + 1)) {
          acked[i] += i + 1;
        } else {
          ++failures[i];
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  int64_t sum = 0;
  for (int i = 0; i < c.size(); ++i) {
    sum += acked[i];
    if (failed) *failed += failures[i];
  }
  return sum;
}

}  // namespace

TEST_CASE("five hosts reach the exact total, also with 20% loss, duplicates and reordering",
          "[gcounter][cluster]") {
  if (!NetnsAvailable()) return;
  NetnsCluster net(5);
  GcCluster c(net);

  int failed = 0;
  int64_t hits = IncrementEverywhere(c, "hits", 8, &failed);
  CHECK(failed == 0);
  // A PN-Counter too: increments and decrements from every node.
  std::vector<std::thread> threads;
  for (int i = 0; i < c.size(); ++i) {
    threads.emplace_back([&, i] {
      CHECK(c.Increment(i, "temp", 10 * (i + 1), "PN_COUNTER"));
      CHECK(c.Increment(i, "temp", -(i + 1)));
    });
  }
  for (auto& t : threads) t.join();
  INFO("hits:" << c.Values("hits"));
  REQUIRE(c.WaitForValue("hits", hits, 20));
  REQUIRE(c.WaitForValue("temp", 9 * (1 + 2 + 3 + 4 + 5), 20));

  // 20% of incoming gossip dropped in every node; 20% of frames crossing the bridge sent a
  // second time 1-40 ms later (several rounds), so late copies overtake newer packets.
  for (int i = 0; i < net.size(); ++i) net.SetLoss(i, 20);
  ChaosTap tap(net, 0.2, 40);
  REQUIRE(tap.ok());
  failed = 0;
  int64_t lossy = IncrementEverywhere(c, "lossy", 8, &failed);
  CHECK(failed == 0);
  int64_t more_hits = IncrementEverywhere(c, "hits", 2);
  INFO("lossy:" << c.Values("lossy"));
  REQUIRE(c.WaitForValue("lossy", lossy, 30));
  REQUIRE(c.WaitForValue("hits", hits + more_hits, 30));
  // And it stays exact: duplicates keep arriving for a while and must change nothing.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK(c.WaitForValue("lossy", lossy, 1));
  double replays = 0, reordered = 0;
  for (int i = 0; i < c.size(); ++i) {
    GcStats s = c.Stats(i);
    replays += s["rejectedReplay"];
    reordered += s["reordered"];
    CHECK(s["rejectedAuth"] == 0);
    CHECK(s["rejectedMalformed"] == 0);
  }
  INFO("duplicated frames " << tap.duplicated() << " of " << tap.seen() << ", " << tap.injected()
                            << " sent");
  CHECK(tap.duplicated() > 0);
  CHECK(replays > 0);    // Duplicates arrived and were dropped, never merged twice.
  CHECK(reordered > 0);  // Late packets whose original was lost were accepted.
}

TEST_CASE("a partition with increments on both sides heals to the exact total",
          "[gcounter][cluster]") {
  if (!NetnsAvailable()) return;
  NetnsCluster net(5);
  GcCluster c(net);
  for (int i = 0; i < c.size(); ++i) REQUIRE(c.Increment(i, "hits", 1));
  REQUIRE(c.WaitForValue("hits", 5, 20));

  net.Partition({0, 1}, {2, 3, 4});
  std::vector<std::thread> threads;
  const int64_t add[] = {10, 20, 100, 200, 300};
  for (int i = 0; i < c.size(); ++i) {
    threads.emplace_back([&, i] {
      for (int k = 0; k < 3; ++k) CHECK(c.Increment(i, "hits", add[i]));
    });
  }
  for (auto& t : threads) t.join();
  const int64_t side_a = 5 + 3 * (10 + 20), side_b = 5 + 3 * (100 + 200 + 300);
  INFO("during the partition:" << c.Values("hits"));
  REQUIRE(c.WaitForValue("hits", side_a, 20, {0, 1}));
  REQUIRE(c.WaitForValue("hits", side_b, 20, {2, 3, 4}));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(c.Get(0, "hits") == side_a);  // Nothing leaks across.
  CHECK(c.Get(4, "hits") == side_b);

  net.Heal();
  INFO("after healing:" << c.Values("hits"));
  REQUIRE(c.WaitForValue("hits", side_a + side_b - 5, 20));
}
