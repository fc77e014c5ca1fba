// gcounter durability across real crashes: kill -9 of a plugin and of a whole paddockd
// while increments stream in, and a node whose data dir is lost.
#include <signal.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <thread>

#include "integration/gcounter_cluster.h"

using namespace paddock::testing::gcounter;
namespace v1 = paddock::v1;

TEST_CASE("kill -9 mid-stream loses no acknowledged increment and counts none twice",
          "[gcounter][crash]") {
  if (!NetnsAvailable()) return;
  NetnsCluster net(5);
  GcCluster c(net);

  // Every node streams increments of 1; each call's outcome is recorded. A call that fails
  // (its node was killed under it) is in doubt: it may or may not have become durable.
  std::atomic<bool> stop{false};
  std::vector<int64_t> acked(c.size(), 0), in_doubt(c.size(), 0);
  std::vector<std::thread> writers;
  // Joins the writers on every way out (a failed REQUIRE throws past the join below).
  struct JoinAll {
    std::atomic<bool>& stop;
    std::vector<std::thread>& threads;
    ~JoinAll() {
      stop = true;
      for (auto& t : threads) {
        if (t.joinable()) t.join();
      }
    }
  } join_all{stop, writers};
  for (int i = 0; i < c.size(); ++i) {
    writers.emplace_back([&, i] {
      while (!stop) {
        if (c.Increment(i, "stream", 1)) {
          ++acked[i];
        } else {
          ++in_doubt[i];
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  // kill -9 the plugin on node 2: its host restarts it.
  v1::PluginInfo before = c.host(2).Status("gcounter");
  REQUIRE(kill(before.pid(), SIGKILL) == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  // kill -9 the whole host on node 4 (its plugin dies with it), then start it again.
  pid_t plugin4 = c.host(4).Status("gcounter").pid();
  c.host(4).Signal(SIGKILL);
  REQUIRE(c.host(4).Wait(10) == 128 + SIGKILL);
  // Its plugin dies with it (PDEATHSIG); the new host starts once it is gone (it held the
  // host's cgroup subtree and the gossip port).
  REQUIRE(paddock::testing::WaitFor([&] { return !paddock::testing::ProcessAlive(plugin4); }, 10));
  bool restarted = c.host(4).Start();
  INFO("host 4 log:\n" << c.host(4).Log());
  REQUIRE(restarted);
  REQUIRE(c.host(4).WaitForState("gcounter", v1::STATE_SERVING, 20));
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  stop = true;
  for (auto& t : writers) t.join();

  REQUIRE(c.host(2).WaitForState("gcounter", v1::STATE_SERVING, 20));
  CHECK(c.host(2).Status("gcounter").pid() != before.pid());
  int64_t total_acked = 0, total_doubt = 0;
  for (int i = 0; i < c.size(); ++i) {
    total_acked += acked[i];
    total_doubt += in_doubt[i];
  }
  INFO("acked " << total_acked << ", in doubt " << total_doubt << ";" << c.Values("stream"));
  CHECK(acked[2] > 0);
  CHECK(acked[4] > 0);
  // Every node agrees on one value V with acked <= V <= acked + in doubt.
  std::optional<int64_t> agreed;
  REQUIRE(paddock::testing::WaitFor(
      [&] {
        std::optional<int64_t> first = c.Get(0, "stream");
        if (!first) return false;
        for (int i = 1; i < c.size(); ++i) {
          if (c.Get(i, "stream") != first) return false;
        }
        agreed = first;
        return true;
      },
      30));
  CHECK(*agreed >= total_acked);
  CHECK(*agreed <= total_acked + total_doubt);
  // The restarted nodes kept their incarnations (their own entries were durable).
  GcStats s2 = c.Stats(2), s4 = c.Stats(4);
  CHECK(s2["boot"] >= 1);
  CHECK(s4["boot"] >= 1);
  CHECK(s2["incarnationConflicts"] == 0);
  CHECK(s4["incarnationConflicts"] == 0);
  for (int i = 0; i < c.size(); ++i) CHECK(c.Stats(i)["origins"] == 5);
}

TEST_CASE("a node whose data dir is lost rejoins under a new incarnation", "[gcounter][crash]") {
  if (!NetnsAvailable()) return;
  NetnsCluster net(5);
  GcCluster c(net);
  for (int i = 0; i < c.size(); ++i) REQUIRE(c.Increment(i, "hits", 10 * (i + 1)));
  REQUIRE(c.WaitForValue("hits", 150, 20));
  std::string old_id;
  {
    paddock::testing::CmdResult r = c.host(3).Ctl({"call", "gcounter", "Stats", "{}"});
    REQUIRE(r.exit_code == 0);
    old_id = r.out.substr(r.out.find("\"replicaId\":\"") + 13, 16);
  }
  // Stop node 3's plugin, lose its data dir, start it again.
  REQUIRE(c.host(3).Ctl({"stop", "gcounter"}).exit_code == 0);
  std::string dir = c.host(3).data_dir() + "/gcounter";
  for (const auto& e : std::filesystem::directory_iterator(dir)) std::filesystem::remove_all(e);
  REQUIRE(c.host(3).Ctl({"start", "gcounter"}).exit_code == 0);
  REQUIRE(c.host(3).WaitForState("gcounter", v1::STATE_SERVING, 20));
  paddock::testing::CmdResult r = c.host(3).Ctl({"call", "gcounter", "Stats", "{}"});
  REQUIRE(r.exit_code == 0);
  std::string new_id = r.out.substr(r.out.find("\"replicaId\":\"") + 13, 16);
  CHECK(new_id != old_id);
  // It relearns the old total (its old entries live on in its peers), and its new
  // increments add to it: nothing lost, nothing counted twice.
  REQUIRE(c.WaitForValue("hits", 150, 20, {3}));
  REQUIRE(c.Increment(3, "hits", 7));
  INFO(c.Values("hits"));
  REQUIRE(c.WaitForValue("hits", 157, 20));
  for (int i = 0; i < c.size(); ++i) CHECK(c.Stats(i)["origins"] == 6);
}
