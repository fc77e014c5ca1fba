// The replication engine of one node, without I/O: the caller feeds it received datagrams
// and a tick every gossip interval, and sends the datagrams it returns. The plugin drives
// one Replica over its pre-opened UDP socket; scripts/bench-gcounter drives 128 of them
// over loopback sockets. Same code, same wire.
//
// Every round the node pushes a GOSSIP packet to `fanout` random peers. Quiet, it carries
// only the root digest (a heartbeat). While news spreads (the delta buffer is not empty)
// it carries the young delta items the peer is not known to hold, plus the bucket digests
// and a sketch (16 bits of the digest of every (origin, watermark)). The receiver merges,
// then answers (push-pull) with its own items the pusher lacks — the sketch tells it which
// — and with its digests when the roots differ. So a node that missed news pulls it from
// every peer it pushes to. When neither side had anything for the other but their bucket
// digests differ, anti-entropy runs: VERSIONS (watermarks of the differing buckets) is
// answered with every change past them, and with the answerer's own watermarks where it
// is behind. Items a peer provably holds are never sent to it (delta back-propagation
// avoidance), and items retire after a bounded number of sends, so bytes per round follow
// what changed recently (one entry per origin and counter), not how many increments.
//
// Not thread-safe: the owner serializes every call.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "auth.h"
#include "codec.h"
#include "delta_buffer.h"
#include "peer_addr.h"
#include "replay_window.h"
#include "store.h"
#include "types.h"

namespace paddock::gcounter {

struct EngineOptions {
  uint32_t fanout = 3;                // Peers contacted per round while news spreads.
  uint32_t idle_fanout = 0;           // Peers contacted per round when there is none; 0: fanout.
  uint32_t max_packet_bytes = 1400;   // Whole UDP payload, tag included.
  uint32_t max_packets_per_peer = 2;  // GOSSIP packets to one peer per round (or reply).
  uint32_t retransmit_limit = 0;      // Sends of one delta item; 0: automatic (see below).
  uint32_t push_limit = 0;            // Sends after which an item is only pulled; 0: fanout.
  uint32_t max_sync_packets = 32;     // Packets of one anti-entropy answer.
  uint32_t max_counters = 100000;
  uint32_t max_origins = 4096;
  uint32_t max_senders = 8192;                   // Replay windows kept.
  int64_t recent_window_ns = 5'000'000'000;      // "Heard from recently".
  int64_t learned_peer_ttl_ns = 60'000'000'000;  // Unlisted senders stay peers this long.
};

// Validates ranges; InvalidArgument names the field.
absl::Status ValidateOptions(const EngineOptions& o);

// Automatic retransmit limit: fanout * max(2, ceil(log2(peers + 1)) / 3 + 1) sends of each
// item (9 at 128 peers, fanout 3). With push-pull every send also pulls, so an item reaches
// everyone within a few rounds; longer limits bought no speed in simulation (128 nodes,
// 0% and 10% loss) but up to 2x the bytes. Whatever the epidemic misses, anti-entropy
// repairs.
uint32_t AutoRetransmitLimit(size_t peers, uint32_t fanout);

struct Datagram {
  PeerAddr to;
  std::string bytes;
};

struct EngineStats {
  uint64_t rounds = 0;
  uint64_t packets_in = 0, packets_out = 0, bytes_in = 0, bytes_out = 0;
  uint64_t accepted = 0;
  uint64_t rejected_auth = 0;       // Tag did not verify (wrong key, forged, corrupted).
  uint64_t rejected_malformed = 0;  // Authentic but undecodable.
  uint64_t rejected_replay = 0;     // Sequence number seen before or too old.
  uint64_t rejected_oversized = 0;  // Longer than max_packet_bytes.
  uint64_t rejected_limits = 0;     // Entries beyond max_counters / max_origins.
  uint64_t reordered = 0;           // Accepted although older than the newest from its sender.
  uint64_t self_packets = 0;        // Our own packets (our address is in the peer list).
  uint64_t entries_merged = 0;      // Items that brought news.
  uint64_t anti_entropy = 0;        // VERSIONS exchanges started.
  uint64_t incarnation_conflicts = 0;
  int64_t last_convergence_ns = -1;  // Estimate, see Replica::stats().
  uint64_t last_convergence_rounds = 0;
};

class Replica {
 public:
  // `keys`: cluster keys (raw bytes; [0] signs); empty runs the node alone (no gossip).
  // `boot`: how many times this incarnation started (0-based, below 2^24), so sequence
  // numbers keep growing across restarts. `seed` seeds peer selection.
  static absl::StatusOr<std::unique_ptr<Replica>> Create(EngineOptions options, ReplicaId self,
                                                         uint64_t boot,
                                                         std::vector<std::string> keys,
                                                         uint64_t seed);

  // Replaces the configured peer list (addresses of this node are skipped once seen).
  void SetPeers(std::vector<PeerAddr> peers);
  // Replaces the options (e.g. a new config); InvalidArgument leaves them unchanged.
  absl::Status SetOptions(const EngineOptions& options);
  // Replaces the cluster keys; empty stops gossip.
  absl::Status SetKeys(std::vector<std::string> keys);

  // Own changes, already durable: absolute new values of this node's entries. Versions
  // must be own_version()+1, +2, ... in order, values must not shrink.
  absl::Status PublishOwn(const std::vector<WireEntry>& changes, int64_t now_ns);
  uint64_t own_version() const { return own_version_; }
  ReplicaId self() const { return self_; }
  // Restores an entry from disk at start (no gossip); finish with FinishRestore.
  void Restore(ReplicaId origin, const std::string& name, const EntryValue& v);
  // Sets this node's own change count after restoring its entries.
  void FinishRestore(uint64_t own_version);

  // True once a peer showed a newer copy of this node's own entries than it has: its data
  // was restored from an old copy or cloned. The owner must persist a new incarnation and
  // call Reincarnate before publishing more own changes.
  bool conflict() const { return conflict_; }
  // Continues as `new_self` (own version 0); the old id stays an ordinary origin.
  void Reincarnate(ReplicaId new_self, uint64_t boot);

  // One gossip round.
  void Tick(int64_t now_ns, std::vector<Datagram>* out);
  // One received datagram (`from` is its source address).
  void Receive(const PeerAddr& from, std::string_view packet, int64_t now_ns,
               std::vector<Datagram>* out);
  // The transport saw a datagram longer than max_packet_bytes (its bytes were cut).
  void CountOversized(size_t bytes);

  const Store& store() const { return store_; }
  // Counters. last_convergence_*: time (and rounds) from the first change after a quiet
  // period until min(peers, 2*fanout) distinct peers were seen with the same root digest.
  const EngineStats& stats() const { return stats_; }
  // Peers that sent an authentic packet within the recency window.
  size_t PeersHeardRecently(int64_t now_ns) const;
  // Peers gossip goes to now (configured plus learned, without ourselves).
  size_t PeerCount();
  size_t ConfiguredPeers() const { return peers_.size(); }
  size_t HotItems() const { return hot_.size(); }
  const EngineOptions& options() const { return options_; }

 private:
  // The digests each peer last reported. Its state only grows, so when a reported bucket
  // digest equals ours now, it holds every change up to our watermarks in that bucket.
  struct PeerDigest {
    uint64_t root = 0;
    bool has_buckets = false;
    std::array<uint64_t, kBuckets> buckets{};
    std::vector<uint16_t> sketch;  // Sorted; empty when none was sent.
    int64_t at_ns = 0;
  };
  struct Reassembly {
    ReplicaId sender = 0, origin = 0;
    uint64_t from = 0, to = 0;
    uint32_t chunks = 0, content = 0;
    std::vector<bool> got;
    uint32_t count = 0;
    int64_t last_ns = 0;
  };

  Replica(EngineOptions options, ReplicaId self, uint64_t boot, uint64_t seed)
      : options_(options),
        self_(self),
        seq_(boot << kBootShift),
        store_(options.max_counters, options.max_origins),
        window_(options.max_senders),
        rng_(seed) {}

  uint64_t NextSeq() { return ++seq_; }
  void Emit(const PeerAddr& to, std::string packet, std::vector<Datagram>* out);
  // Sends GOSSIP to `to` with the items it lacks; returns how many items went. With
  // `heartbeat`, sends a packet even without items; with `digests`, the packets carry the
  // bucket digests and the sketch.
  size_t SendGossip(const PeerAddr& to, bool reply, bool heartbeat, bool digests,
                    std::vector<Datagram>* out);
  void SendVersions(const PeerAddr& to, uint16_t mask, bool want_reply, std::vector<Datagram>* out);
  void HandleGossip(const PeerAddr& from, const Header& h, GossipBody body, int64_t now_ns,
                    std::vector<Datagram>* out);
  void HandleVersions(const PeerAddr& from, const Header& h, const VersionsBody& body,
                      std::vector<Datagram>* out);
  // Merges one item; true when it brought news.
  bool ApplyItem(const DeltaItem& item, ReplicaId sender, uint64_t peer_key, int64_t now_ns);
  // Records a piece of a chunked item; true when the last missing piece arrived.
  bool Reassemble(const DeltaItem& item, ReplicaId sender, int64_t now_ns);
  void NoteChange(int64_t now_ns);
  void NoteInSync(ReplicaId sender, int64_t now_ns);
  // Peers gossip may go to: configured plus learned, without our own addresses. Cached.
  const std::vector<PeerAddr>& Candidates();
  // True when the digests `peer` reported prove it holds everything in `item`.
  bool PeerHolds(const PeerDigest* pd, const HotItem& item) const;
  uint32_t RetransmitLimit();
  uint32_t PushLimit() const;
  void Sweep(int64_t now_ns);

  EngineOptions options_;
  ReplicaId self_;
  uint64_t seq_;
  uint64_t own_version_ = 0;
  bool conflict_ = false;
  std::unique_ptr<Authenticator> auth_;
  Store store_;
  DeltaBuffer hot_;
  ReplayWindow window_;
  std::mt19937_64 rng_;
  std::vector<PeerAddr> peers_;
  absl::flat_hash_set<uint64_t> configured_keys_;
  absl::flat_hash_set<uint64_t> self_keys_;
  struct Learned {
    PeerAddr addr;
    int64_t last_ns = 0;
  };
  absl::flat_hash_map<uint64_t, Learned> learned_;
  std::vector<PeerAddr> candidates_;
  int64_t last_sweep_ns_ = 0;
  uint64_t last_anti_entropy_round_ = UINT64_MAX;
  bool candidates_dirty_ = true;
  absl::flat_hash_map<uint64_t, int64_t> heard_;  // Peer key -> last authentic packet.
  absl::flat_hash_map<uint64_t, PeerDigest> peer_digests_;
  std::vector<Reassembly> reassembly_;
  EngineStats stats_;
  int64_t now_ns_ = 0;
  // Convergence estimate.
  bool settled_ = true;
  int64_t burst_start_ns_ = 0;
  uint64_t burst_start_round_ = 0;
  absl::flat_hash_set<ReplicaId> in_sync_;
};

}  // namespace paddock::gcounter
