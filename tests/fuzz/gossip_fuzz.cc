// Fuzzes the gcounter gossip decoder (plugins/gcounter/codec.cc DecodeHeader, DecodeGossip,
// DecodeVersions over wire.cc) and what a replica does with a decoded packet (merge,
// reassembly of chunked items, anti-entropy answers: replica.cc). A packet must carry a
// valid HMAC tag before it is decoded, so a fuzzer that only mutated whole packets would
// stop at the tag: this one signs each packet with the cluster key, which is the attacker
// model "a peer that holds the key sends anything".
//
// Input: a sequence of packets, each a 2-byte little-endian length and that many bytes of
// header + body (without tag). Each is decoded directly and then received by one replica
// (fresh per input) from a peer; after every packet the replica also runs a gossip round.
// Invariants beyond "no crash, no leak, no UB": everything the replica sends is authentic,
// decodes, and stays within its packet size limit.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "auth.h"
#include "codec.h"
#include "fuzz_check.h"
#include "peer_addr.h"
#include "replica.h"

namespace gc = paddock::gcounter;

namespace {

const std::string kKey(32, 'k');

void CheckSent(gc::Authenticator& auth, const std::vector<gc::Datagram>& out, size_t limit) {
  for (const gc::Datagram& d : out) {
    FUZZ_CHECK(d.bytes.size() <= limit);
    FUZZ_CHECK(auth.Verify(d.bytes));
    auto h = gc::DecodeHeader(d.bytes);
    FUZZ_CHECK(h.ok());
    if (h->type == gc::PacketType::kGossip) {
      FUZZ_CHECK(gc::DecodeGossip(d.bytes).ok());
    } else {
      FUZZ_CHECK(gc::DecodeVersions(d.bytes).ok());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static gc::Authenticator* auth = gc::Authenticator::Create({kKey})->release();
  static const gc::PeerAddr peer = *gc::PeerAddr::Parse("10.0.0.1:7946");

  gc::EngineOptions options;
  options.max_counters = 64;
  options.max_origins = 16;
  auto replica = gc::Replica::Create(options, /*self=*/2, 0, {kKey}, /*seed=*/1);
  FUZZ_CHECK(replica.ok());
  gc::Replica& r = **replica;
  r.SetPeers({peer});
  FUZZ_CHECK(
      r.PublishOwn({gc::WireEntry{"hits", gc::EntryValue{5, 0, 1, gc::Kind::kGrowOnly}}}, 0).ok());

  int64_t now = 1'000'000;
  size_t pos = 0;
  while (pos + 2 <= size) {
    size_t len = data[pos] | (size_t{data[pos + 1]} << 8);
    pos += 2;
    if (len > size - pos) len = size - pos;
    std::string packet(reinterpret_cast<const char*>(data) + pos, len);
    pos += len;

    auto h = gc::DecodeHeader(packet + std::string(gc::kTagBytes, '\0'));
    if (h.ok()) {
      std::string tagged = packet + std::string(gc::kTagBytes, '\0');
      if (h->type == gc::PacketType::kGossip) {
        (void)gc::DecodeGossip(tagged);
      } else {
        (void)gc::DecodeVersions(tagged);
      }
    }

    auth->Sign(&packet);
    std::vector<gc::Datagram> out;
    r.Receive(peer, packet, now, &out);
    CheckSent(*auth, out, options.max_packet_bytes);
    now += 100'000'000;
    out.clear();
    r.Tick(now, &out);
    CheckSent(*auth, out, options.max_packet_bytes);
  }
  return 0;
}
