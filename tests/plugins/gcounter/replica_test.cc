#include "replica.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "sim_cluster.h"

namespace gc = paddock::gcounter;
using gc::testing::SimCluster;

namespace {

constexpr int64_t kMs = 1'000'000;

std::unique_ptr<gc::Replica> MakeReplica(gc::ReplicaId id, std::string key = std::string(32, 'k')) {
  auto r = gc::Replica::Create(gc::EngineOptions{}, id, 0, {std::move(key)}, id);
  REQUIRE(r.ok());
  return std::move(*r);
}

gc::PeerAddr Addr(int i) { return *gc::PeerAddr::Parse("10.0.0." + std::to_string(i) + ":7946"); }

gc::WireEntry Own(gc::Replica& r, const std::string& name, uint64_t p) {
  return gc::WireEntry{name, gc::EntryValue{p, 0, r.own_version() + 1, gc::Kind::kGrowOnly}};
}

}  // namespace

TEST_CASE("two replicas exchange a change in one push", "[gcounter][replica]") {
  auto a = MakeReplica(1), b = MakeReplica(2);
  a->SetPeers({Addr(2)});
  b->SetPeers({Addr(1)});
  REQUIRE(a->PublishOwn({Own(*a, "hits", 5)}, 0).ok());
  std::vector<gc::Datagram> out;
  a->Tick(1, &out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].to == Addr(2));
  CHECK(out[0].bytes.size() <= 1400);
  std::vector<gc::Datagram> replies;
  b->Receive(Addr(1), out[0].bytes, 2, &replies);
  CHECK(b->store().Get("hits", 0)->value == 5);
  CHECK(b->stats().accepted == 1);
  CHECK(b->PeersHeardRecently(2) == 1);
  CHECK(b->store().Watermark(1) == 1);
}

TEST_CASE("forged, replayed, oversized and malformed packets change nothing and are counted",
          "[gcounter][replica]") {
  auto a = MakeReplica(1), b = MakeReplica(2);
  auto forger = MakeReplica(3, std::string(32, 'X'));  // Wrong key.
  a->SetPeers({Addr(2)});
  forger->SetPeers({Addr(2)});
  REQUIRE(forger->PublishOwn({Own(*forger, "hits", 1000)}, 0).ok());
  std::vector<gc::Datagram> forged;
  forger->Tick(1, &forged);
  REQUIRE(forged.size() == 1);
  std::vector<gc::Datagram> out;
  b->Receive(Addr(3), forged[0].bytes, 2, &out);
  CHECK(b->stats().rejected_auth == 1);
  CHECK_FALSE(b->store().Get("hits", 0));

  REQUIRE(a->PublishOwn({Own(*a, "hits", 5)}, 0).ok());
  std::vector<gc::Datagram> real;
  a->Tick(1, &real);
  b->Receive(Addr(1), real[0].bytes, 3, &out);
  CHECK(b->store().Get("hits", 0)->value == 5);
  b->Receive(Addr(1), real[0].bytes, 4, &out);  // Replay.
  CHECK(b->stats().rejected_replay == 1);
  b->Receive(Addr(1), std::string(65507, 'j'), 5, &out);  // Oversized junk.
  CHECK(b->stats().rejected_oversized == 1);
  b->Receive(Addr(1), std::string(100, 'j'), 6, &out);  // Junk within size: fails the tag.
  CHECK(b->stats().rejected_auth == 2);
  b->Receive(Addr(1), "", 7, &out);
  CHECK(b->stats().rejected_auth == 3);
  CHECK(b->store().Get("hits", 0)->value == 5);
  CHECK(b->stats().accepted == 1);
}

TEST_CASE("five nodes reach the exact total after concurrent increments", "[gcounter][replica]") {
  SimCluster c(5, gc::EngineOptions{}, 1);
  __int128 total = 0;
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 5; ++i) {
      c.Increment(i, "hits", i + 1);
      total += i + 1;
      if (i % 2 == 0) {
        c.Increment(i, "temp", -(i + 2));
      }
    }
    c.RunFor(3 * kMs);
  }
  REQUIRE(c.RunUntil([&] { return c.Converged("hits", total); }, 2000 * kMs) >= 0);
  REQUIRE(c.RunUntil([&] { return c.Converged("temp", -(2 + 4 + 6) * 20); }, 2000 * kMs) >= 0);
  REQUIRE(c.RunUntil([&] { return c.DigestsEqual(); }, 2000 * kMs) >= 0);
}

TEST_CASE("20% loss, duplicates and reordering still give the exact total", "[gcounter][replica]") {
  SimCluster c(8, gc::EngineOptions{}, 2);
  c.net().loss = 0.2;
  c.net().dup = 0.2;
  c.net().jitter_ns = 15 * kMs;  // More than a round: heavy reordering.
  __int128 total = 0;
  for (int step = 0; step < 200; ++step) {
    int i = step % c.size();
    c.Increment(i, "hits", step);
    total += step;
    c.RunFor(kMs);
  }
  REQUIRE(c.RunUntil([&] { return c.Converged("hits", total); }, 5000 * kMs) >= 0);
  REQUIRE(c.RunUntil([&] { return c.DigestsEqual(); }, 5000 * kMs) >= 0);
  uint64_t replays = 0, reordered = 0;
  for (int i = 0; i < c.size(); ++i) {
    replays += c.node(i).stats().rejected_replay;
    reordered += c.node(i).stats().reordered;
  }
  CHECK(replays > 0);    // Duplicates were seen and dropped...
  CHECK(reordered > 0);  // ...and late packets accepted.
}

TEST_CASE("a partition with increments on both sides heals to the exact total",
          "[gcounter][replica]") {
  SimCluster c(6, gc::EngineOptions{}, 3);
  auto side = [](int i) { return i < 3; };
  c.SetBlocked([&](int a, int b) { return side(a) != side(b); });
  for (int i = 0; i < 6; ++i) c.Increment(i, "hits", 10 * (i + 1));
  c.RunFor(500 * kMs);
  // Each side converged to its own sum only.
  CHECK(c.node(0).store().Get("hits", 0)->value == 10 + 20 + 30);
  CHECK(c.node(5).store().Get("hits", 0)->value == 40 + 50 + 60);
  c.SetBlocked(nullptr);
  REQUIRE(c.RunUntil([&] { return c.Converged("hits", 210); }, 2000 * kMs) >= 0);
}

TEST_CASE("a node restored from its durable entries continues without loss or double count",
          "[gcounter][replica]") {
  SimCluster c(4, gc::EngineOptions{}, 4);
  for (int k = 0; k < 10; ++k) c.Increment(0, "hits", 1);
  for (int i = 1; i < 4; ++i) c.Increment(i, "hits", 100);
  REQUIRE(c.RunUntil([&] { return c.Converged("hits", 310); }, 2000 * kMs) >= 0);
  // Restart node 0 (same incarnation, boot 1) from its own durable entries only.
  gc::ReplicaId id = c.node(0).self();
  uint64_t version = c.node(0).own_version();
  const gc::EntryValue own = *c.node(0).store().Find(id, "hits");
  auto r = gc::Replica::Create(gc::EngineOptions{}, id, 1, {std::string(32, 'k')}, 99);
  REQUIRE(r.ok());
  (*r)->Restore(id, "hits", own);
  (*r)->FinishRestore(version);
  c.Replace(0, std::move(*r));
  c.Increment(0, "hits", 5);
  REQUIRE(c.RunUntil([&] { return c.Converged("hits", 315); }, 2000 * kMs) >= 0);
  CHECK_FALSE(c.node(0).conflict());
  for (int i = 1; i < 4; ++i) CHECK(c.node(i).stats().rejected_replay == 0);
}

TEST_CASE("a node restarted from a stale copy detects the conflict", "[gcounter][replica]") {
  SimCluster c(3, gc::EngineOptions{}, 5);
  c.Increment(0, "hits", 1);
  const gc::EntryValue stale = *c.node(0).store().Find(c.node(0).self(), "hits");
  c.Increment(0, "hits", 1);
  REQUIRE(c.RunUntil([&] { return c.Converged("hits", 2); }, 2000 * kMs) >= 0);
  gc::ReplicaId id = c.node(0).self();
  auto r = gc::Replica::Create(gc::EngineOptions{}, id, 1, {std::string(32, 'k')}, 7);
  REQUIRE(r.ok());
  (*r)->Restore(id, "hits", stale);  // Version 1 of 2: the data dir went back in time.
  (*r)->FinishRestore(1);
  c.Replace(0, std::move(*r));
  REQUIRE(c.RunUntil([&] { return c.node(0).conflict(); }, 2000 * kMs) >= 0);
  // A new incarnation: the old id's entries stay as the cluster knows them.
  c.node(0).Reincarnate(777777, 2);
  c.Increment(0, "hits", 3);
  REQUIRE(c.RunUntil([&] { return c.Converged("hits", 5); }, 2000 * kMs) >= 0);
}

TEST_CASE("hundreds of counters changed at once travel in chunks and converge",
          "[gcounter][replica]") {
  gc::EngineOptions o;
  o.max_packet_bytes = 600;
  SimCluster c(4, o, 6);
  c.net().loss = 0.1;
  for (int k = 0; k < 400; ++k) {
    gc::Replica& r = c.node(0);
    std::string name = "counter-with-a-long-name-" + std::to_string(k);
    gc::WireEntry e{name,
                    gc::EntryValue{uint64_t(k + 1), 0, r.own_version() + 1, gc::Kind::kGrowOnly}};
    REQUIRE(r.PublishOwn({e}, 0).ok());
  }
  auto all = [&] {
    for (int i = 0; i < c.size(); ++i) {
      if (c.node(i).store().counters() != 400) return false;
      if (c.node(i).store().Watermark(c.node(0).self()) != 400) return false;
    }
    return true;
  };
  bool done = c.RunUntil(all, 5000 * kMs) >= 0;
  for (int i = 0; i < c.size(); ++i) {
    const gc::EngineStats& s = c.node(i).stats();
    INFO("node " << i << ": counters " << c.node(i).store().counters() << ", watermark "
                 << c.node(i).store().Watermark(c.node(0).self()) << ", anti-entropy "
                 << s.anti_entropy << ", packets in " << s.packets_in << ", malformed "
                 << s.rejected_malformed);
    CHECK(done);
  }
  REQUIRE(done);
  REQUIRE(c.RunUntil([&] { return c.DigestsEqual(); }, 5000 * kMs) >= 0);
}

TEST_CASE("bytes per round do not grow with the number of increments", "[gcounter][replica]") {
  auto run = [](int increments_per_node) {
    SimCluster c(16, gc::EngineOptions{}, 8);
    c.RunFor(200 * kMs);
    uint64_t before = c.TotalBytesOut();
    __int128 total = 0;
    for (int k = 0; k < increments_per_node; ++k) {
      for (int i = 0; i < c.size(); ++i) {
        c.Increment(i, "hits", 1);
        ++total;
      }
    }
    REQUIRE(c.RunUntil([&] { return c.Converged("hits", total); }, 2000 * kMs) >= 0);
    c.RunFor(500 * kMs);
    return c.TotalBytesOut() - before;
  };
  uint64_t few = run(1), many = run(1000);
  INFO("bytes with 1 increment per node: " << few << ", with 1000: " << many);
  // 1000x the increments: the same entries on the wire (values take a few more varint bytes).
  CHECK(many < few * 1.2);
}

TEST_CASE("tuning: 128 nodes, fanout 3, 10 ms rounds", "[.tune]") {
  for (double loss : {0.0, 0.1}) {
    std::vector<double> rounds;
    uint64_t bytes = 0, packets = 0;
    for (int trial = 0; trial < 30; ++trial) {
      gc::EngineOptions o;
      if (const char* r = std::getenv("GC_TUNE_RETRANSMIT")) o.retransmit_limit = std::atoi(r);
      if (const char* r = std::getenv("GC_TUNE_PACKETS")) o.max_packets_per_peer = std::atoi(r);
      SimCluster c(128, o, 100 + trial);
      c.net().loss = loss;
      c.RunFor(100 * kMs);
      uint64_t before = c.TotalBytesOut();
      uint64_t pbefore = 0;
      for (int i = 0; i < c.size(); ++i) pbefore += c.node(i).stats().packets_out;
      for (int i = 0; i < c.size(); ++i) c.Increment(i, "hits", 1);
      int64_t t = c.RunUntil([&] { return c.Converged("hits", 128); }, 5000 * kMs);
      REQUIRE(t >= 0);
      rounds.push_back(t / 10e6);
      c.RunUntil(
          [&] {
            for (int i = 0; i < c.size(); ++i) {
              if (c.node(i).HotItems() > 0) return false;
            }
            return true;
          },
          5000 * kMs);
      bytes += c.TotalBytesOut() - before;
      for (int i = 0; i < c.size(); ++i) packets += c.node(i).stats().packets_out;
      packets -= pbefore;
    }
    std::sort(rounds.begin(), rounds.end());
    std::printf("packets per node per burst %.0f, ", packets / 128.0 / 30);
    std::printf("loss %.0f%%: rounds p50 %.1f p99 %.1f max %.1f; bytes per node per burst %.0f\n",
                loss * 100, rounds[rounds.size() / 2], rounds[rounds.size() * 99 / 100],
                rounds.back(), bytes / 128.0 / 30);
  }
}
