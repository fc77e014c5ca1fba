// Peer discovery through DNS without a resolver library: the plugin runs in an empty
// network namespace with no /etc/resolv.conf, and its only way out is the UDP socket the
// host pre-opened (bound in the host's namespace). So it sends its own DNS queries (A and
// AAAA, RFC 1035) over that socket to a configured resolver address (in Kubernetes, the
// cluster DNS service IP) and reads the answers on the same socket, telling them apart
// from gossip by their source address. The answers of a headless Service are the peers.
// DNS answers are not authenticated (no DNSSEC); a forged answer can only change whom we
// gossip with, never a counter, because every gossip packet is authenticated.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "peer_addr.h"
#include "replica.h"

namespace paddock::gcounter {

inline constexpr uint16_t kDnsTypeA = 1;
inline constexpr uint16_t kDnsTypeAaaa = 28;

// Validates a DNS name: labels of 1-63 letters, digits, '-' or '_', at most 253 bytes,
// an optional trailing dot.
absl::Status ValidateDnsName(std::string_view name);
// A recursive query (RD set) for `name` of `qtype`, class IN, with `id`.
absl::StatusOr<std::string> EncodeDnsQuery(uint16_t id, std::string_view name, uint16_t qtype);
// The addresses answering our query (id, name, qtype must match the response's header and
// question; answers may follow CNAMEs). Each address gets `port`. NotFound for NXDOMAIN,
// InvalidArgument for anything malformed or not an answer to this query.
absl::StatusOr<std::vector<PeerAddr>> ParseDnsResponse(std::string_view packet, uint16_t id,
                                                       std::string_view name, uint16_t qtype,
                                                       uint16_t port);

// Periodic resolution of one name through one resolver. Not thread-safe.
class DnsPeers {
 public:
  struct Options {
    std::string name;
    uint16_t port = 0;  // Gossip port of the peers.
    PeerAddr resolver;  // e.g. 10.96.0.10:53
    int64_t interval_ns = 5'000'000'000;
    int64_t timeout_ns = 2'000'000'000;
  };
  DnsPeers(Options options, uint64_t seed);

  // Queries to send now (when a resolution is due).
  void Poll(int64_t now_ns, std::vector<Datagram>* out);
  // True when `from` is the resolver: the datagram is consumed (as an answer or dropped).
  bool Handle(const PeerAddr& from, std::string_view packet, int64_t now_ns);
  // True when a new peer list arrived since the last call (then `peers()` holds it).
  bool TakeUpdate();
  const std::vector<PeerAddr>& peers() const { return peers_; }
  const Options& options() const { return options_; }

  uint64_t queries() const { return queries_; }
  uint64_t answers() const { return answers_; }
  uint64_t failures() const { return failures_; }
  const std::string& last_error() const { return last_error_; }

 private:
  void Finish(int64_t now_ns);

  Options options_;
  std::mt19937_64 rng_;
  int64_t next_ns_ = 0;
  int64_t deadline_ns_ = 0;
  bool in_flight_ = false;
  uint16_t id_a_ = 0, id_aaaa_ = 0;
  bool got_a_ = false, got_aaaa_ = false;
  std::vector<PeerAddr> pending_;
  std::vector<PeerAddr> peers_;
  bool updated_ = false;
  uint64_t queries_ = 0, answers_ = 0, failures_ = 0;
  std::string last_error_;
};

}  // namespace paddock::gcounter
