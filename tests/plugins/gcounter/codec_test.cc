#include "codec.h"

#include <catch2/catch.hpp>
#include <string>

#include "auth.h"

namespace gc = paddock::gcounter;

namespace {

gc::WireEntry Entry(std::string name, uint64_t p, uint64_t n, uint64_t version,
                    gc::Kind kind = gc::Kind::kPositiveNegative) {
  gc::WireEntry e;
  e.name = std::move(name);
  e.value.p = p;
  e.value.n = n;
  e.value.version = version;
  e.value.kind = kind;
  return e;
}

// Header + body as the builder makes them, plus a dummy tag (the codec does not check it).
std::string WithTag(std::string packet) { return packet + std::string(gc::kTagBytes, '\0'); }

}  // namespace

TEST_CASE("GOSSIP packets round-trip items, names and digests", "[gcounter][codec]") {
  std::array<uint64_t, gc::kBuckets> buckets{};
  for (int i = 0; i < gc::kBuckets; ++i) buckets[i] = 1000 + i;
  gc::GossipBuilder b(1400, 42, &buckets);
  gc::DeltaItem item;
  item.origin = 0xabcdef;
  item.from = 3;
  item.to = 5;
  item.entries = {Entry("hits", 10, 0, 4, gc::Kind::kGrowOnly), Entry("temp", 7, 9, 5)};
  REQUIRE(b.TryAdd(item));
  gc::DeltaItem item2 = item;
  item2.origin = 0x1234;
  item2.entries = {Entry("hits", 1, 0, 5, gc::Kind::kGrowOnly)};  // Reuses the name.
  REQUIRE(b.TryAdd(item2));
  gc::Header h;
  h.sender = 99;
  h.seq = 77;
  h.flags = gc::kFlagReply;
  size_t predicted = b.size();
  std::string packet = WithTag(b.Finish(h));
  CHECK(packet.size() == predicted);

  auto header = gc::DecodeHeader(packet);
  REQUIRE(header.ok());
  CHECK(header->sender == 99);
  CHECK(header->seq == 77);
  CHECK(header->type == gc::PacketType::kGossip);
  CHECK(header->flags == (gc::kFlagReply | gc::kFlagBuckets));
  auto body = gc::DecodeGossip(packet);
  REQUIRE(body.ok());
  CHECK(body->root == 42);
  CHECK(body->has_buckets);
  CHECK(body->buckets == buckets);
  REQUIRE(body->items.size() == 2);
  CHECK(body->items[0].origin == 0xabcdef);
  CHECK(body->items[0].from == 3);
  CHECK(body->items[0].to == 5);
  REQUIRE(body->items[0].entries.size() == 2);
  CHECK(body->items[0].entries[1].name == "temp");
  CHECK(body->items[0].entries[1].value.n == 9);
  CHECK(body->items[0].entries[1].value.kind == gc::Kind::kPositiveNegative);
  CHECK(body->items[1].entries[0].name == "hits");
}

TEST_CASE("the builder never exceeds its budget", "[gcounter][codec]") {
  gc::GossipBuilder b(600, 1, nullptr);
  size_t added = 0;
  for (int i = 0; i < 100; ++i) {
    gc::DeltaItem item;
    item.origin = 1000 + i;
    item.to = 1;
    item.entries = {Entry("counter-" + std::to_string(i), 1u << 20, 0, 1)};
    if (b.TryAdd(item)) ++added;
    CHECK(b.size() <= 600);
  }
  CHECK(added > 5);
  CHECK(added < 100);
  std::string packet = WithTag(b.Finish(gc::Header{gc::PacketType::kGossip, 0, 5, 1}));
  CHECK(packet.size() <= 600);
  auto body = gc::DecodeGossip(packet);
  REQUIRE(body.ok());
  CHECK(body->items.size() == added);
}

TEST_CASE("big items are chunked into pieces that each fit a packet", "[gcounter][codec]") {
  gc::DeltaItem item;
  item.origin = 7;
  item.from = 0;
  item.to = 300;
  for (int i = 0; i < 300; ++i) {
    item.entries.push_back(
        Entry("a-rather-long-counter-name-" + std::to_string(i), i + 1, 0, i + 1));
  }
  auto pieces = gc::ChunkItem(item, gc::ItemRoom(1400, true, true));
  REQUIRE(pieces.size() > 1);
  size_t total = 0;
  for (size_t i = 0; i < pieces.size(); ++i) {
    CHECK(pieces[i].chunk == i);
    CHECK(pieces[i].chunks == pieces.size());
    CHECK(pieces[i].content == pieces[0].content);
    CHECK(pieces[i].from == 0);
    CHECK(pieces[i].to == 300);
    std::array<uint64_t, gc::kBuckets> buckets{};
    gc::GossipBuilder b(1400, 0, &buckets);
    CHECK(b.TryAdd(pieces[i]));
    auto body = gc::DecodeGossip(WithTag(b.Finish(gc::Header{gc::PacketType::kGossip, 0, 5, 1})));
    REQUIRE(body.ok());
    CHECK(body->items[0].chunks == pieces.size());
    total += pieces[i].entries.size();
  }
  CHECK(total == 300);
  auto small = gc::ChunkItem(pieces[0], gc::ItemRoom(65000, true, true));
  CHECK(small.size() == 1);
}

TEST_CASE("VERSIONS packets round-trip and split by bucket", "[gcounter][codec]") {
  std::vector<std::pair<gc::ReplicaId, uint64_t>> origins;
  for (uint64_t i = 1; i <= 200; ++i) origins.emplace_back(i * 0x9e3779b97f4a7c15ull, i * 1000);
  auto packets = gc::EncodeVersions(gc::Header{gc::PacketType::kVersions, gc::kFlagWantReply, 3, 9},
                                    0xffff, origins, 600);
  REQUIRE(packets.size() > 1);
  size_t seen = 0;
  uint16_t masks = 0;
  for (const std::string& p : packets) {
    std::string tagged = WithTag(p);
    CHECK(tagged.size() <= 600);
    auto body = gc::DecodeVersions(tagged);
    REQUIRE(body.ok());
    masks |= body->mask;
    seen += body->origins.size();
  }
  CHECK(masks == 0xffff);
  CHECK(seen == 200);
}

TEST_CASE("decoding rejects malformed packets", "[gcounter][codec]") {
  std::array<uint64_t, gc::kBuckets> buckets{};
  gc::GossipBuilder b(1400, 1, &buckets);
  gc::DeltaItem item;
  item.origin = 5;
  item.to = 1;
  item.entries = {Entry("x", 1, 0, 1)};
  REQUIRE(b.TryAdd(item));
  const std::string good = WithTag(b.Finish(gc::Header{gc::PacketType::kGossip, 0, 5, 1}));
  REQUIRE(gc::DecodeGossip(good).ok());

  auto mutate = [&](size_t at, char value) {
    std::string p = good;
    p[at] = value;
    return p;
  };
  CHECK_FALSE(gc::DecodeHeader(mutate(0, 'X')).ok());   // Magic.
  CHECK_FALSE(gc::DecodeHeader(mutate(2, 9)).ok());     // Wire version.
  CHECK_FALSE(gc::DecodeHeader(mutate(3, 7)).ok());     // Type.
  CHECK_FALSE(gc::DecodeHeader(mutate(5, 1)).ok());     // Reserved.
  CHECK_FALSE(gc::DecodeGossip(mutate(4, 0x40)).ok());  // Unknown flag.
  CHECK_FALSE(gc::DecodeHeader(std::string(10, 'G')).ok());
  // Truncated body and trailing bytes.
  std::string cut = good.substr(0, good.size() - gc::kTagBytes - 3) + std::string(gc::kTagBytes, 0);
  CHECK_FALSE(gc::DecodeGossip(cut).ok());
  std::string longer =
      good.substr(0, good.size() - gc::kTagBytes) + "z" + std::string(gc::kTagBytes, 0);
  CHECK_FALSE(gc::DecodeGossip(longer).ok());

  // Semantic checks: G entries with an N part, zero versions, bad names, bad chunks.
  auto encode_one = [&](gc::DeltaItem it) {
    gc::GossipBuilder bb(1400, 1, nullptr);
    REQUIRE(bb.TryAdd(it));
    return WithTag(bb.Finish(gc::Header{gc::PacketType::kGossip, 0, 5, 1}));
  };
  gc::DeltaItem g = item;
  g.entries = {Entry("x", 1, 1, 1, gc::Kind::kGrowOnly)};
  CHECK_FALSE(gc::DecodeGossip(encode_one(g)).ok());
  gc::DeltaItem v0 = item;
  v0.entries = {Entry("x", 1, 0, 0)};
  CHECK_FALSE(gc::DecodeGossip(encode_one(v0)).ok());
  gc::DeltaItem bad_name = item;
  bad_name.entries = {Entry("has space", 1, 0, 1)};
  CHECK_FALSE(gc::DecodeGossip(encode_one(bad_name)).ok());
  gc::DeltaItem big = item;
  big.entries = {Entry("x", gc::kMaxPart + 1, 0, 1)};
  CHECK_FALSE(gc::DecodeGossip(encode_one(big)).ok());
  gc::DeltaItem chunk = item;
  chunk.chunks = 2;
  chunk.chunk = 2;
  CHECK_FALSE(gc::DecodeGossip(encode_one(chunk)).ok());
  gc::DeltaItem backwards = item;
  backwards.from = 5;
  backwards.to = 4;
  CHECK_FALSE(gc::DecodeGossip(encode_one(backwards)).ok());
  gc::DeltaItem zero_origin = item;
  zero_origin.origin = 0;
  CHECK_FALSE(gc::DecodeGossip(encode_one(zero_origin)).ok());
}

TEST_CASE("decoding survives random garbage without crashing", "[gcounter][codec]") {
  uint64_t x = 88172645463325252ull;
  auto rnd = [&] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  std::array<uint64_t, gc::kBuckets> buckets{};
  gc::GossipBuilder b(1400, 1, &buckets);
  gc::DeltaItem item;
  item.origin = 5;
  item.to = 2;
  item.entries = {Entry("x", 1, 0, 1), Entry("y", 2, 3, 2)};
  REQUIRE(b.TryAdd(item));
  const std::string good = WithTag(b.Finish(gc::Header{gc::PacketType::kGossip, 0, 5, 1}));
  for (int i = 0; i < 20000; ++i) {
    std::string p = good;
    int flips = 1 + rnd() % 4;
    for (int f = 0; f < flips; ++f) p[rnd() % p.size()] = static_cast<char>(rnd());
    if (rnd() % 4 == 0) p.resize(rnd() % p.size());
    (void)gc::DecodeGossip(p);
    (void)gc::DecodeVersions(p);
  }
  SUCCEED();
}
