// The loaded BPF side of http-sampler: the CO-RE object (embedded as a libbpf skeleton),
// its three TC programs and its maps. Owns every kernel object it creates; destroying it
// unloads the programs and frees the maps (filters that still reference a program keep it
// alive in the kernel, so detach them first: TcOwner does).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "bpf/sampler_abi.h"
#include "paddock/fd.h"

struct sampler_bpf;  // The generated skeleton (sampler.skel.h), private to the .cc.
struct ring_buffer;  // libbpf's ring buffer manager.

namespace paddock::http_sampler {

// Where the kernel's counters and policy live. An interface so the policy logic is
// unit-tested without BPF.
class PolicySink {
 public:
  virtual ~PolicySink() = default;
  // Sets the policy of destination port `port` (0..65535). Each write is one aligned
  // 8-byte store, so the program never reads half of an entry.
  virtual void WritePort(uint32_t port, hs_policy value) = 0;
  // Zeroes the counters of `rule` (before a freed rule is reused for another port).
  virtual absl::Status ResetRule(uint32_t rule) = 0;
};

// Frees a libbpf ring_buffer manager (not the maps it reads).
struct RingBufferDeleter {
  void operator()(ring_buffer* rb) const;
};
using RingBufferPtr = std::unique_ptr<ring_buffer, RingBufferDeleter>;

// One libbpf ring_buffer manager over the ring buffer maps `fds` (not owned; they must
// outlive it), one epoll set for all of them: consuming it calls `fn(ctx, data, size)` per
// record, ring after ring in the order of `fds`, so records of different rings come in no
// particular time order. InvalidArgument without rings; the libbpf error otherwise.
absl::StatusOr<RingBufferPtr> OpenRings(const std::vector<int>& fds,
                                        int (*fn)(void* ctx, void* data, size_t size), void* ctx);

class BpfProgram final : public PolicySink {
 public:
  // Opens and loads the object: CO-RE relocation against /sys/kernel/btf/vmlinux,
  // verification of the programs, map creation, mmap of the policy array. Needs CAP_BPF,
  // CAP_NET_ADMIN and CAP_PERFMON (or root). Returns the libbpf error with the verifier's
  // tail on failure.
  static absl::StatusOr<std::unique_ptr<BpfProgram>> Load();
  ~BpfProgram() override;
  BpfProgram(const BpfProgram&) = delete;
  BpfProgram& operator=(const BpfProgram&) = delete;

  // The programs (sampler.bpf.c): requests on a real interface's ingress, responses on
  // its egress, and both on a loopback interface's ingress (which sees every packet).
  int ingress_fd() const;
  int egress_fd() const;
  int loopback_fd() const;
  // The ring buffer maps, one per possible CPU (index = CPU number): the program writes a
  // record into the ring of the CPU it runs on.
  std::vector<int> ring_fds() const;
  // The size of each ring (RingBytes of the number of possible CPUs).
  size_t ring_bytes() const { return ring_bytes_; }
  // The size of each of `ncpus` rings: HS_RING_BYTES while the rings fit HS_RING_BUDGET, else
  // the budget's share rounded down to a power of two, at least HS_RING_MIN_BYTES.
  static size_t RingBytes(int ncpus);
  // Kernel ids of the programs (as `bpftool prog` shows them).
  uint32_t ingress_id() const { return ingress_id_; }
  uint32_t egress_id() const { return egress_id_; }
  uint32_t loopback_id() const { return loopback_id_; }

  void WritePort(uint32_t port, hs_policy value) override;
  absl::Status ResetRule(uint32_t rule) override;
  // Reads one port's policy entry back (tests, Stats).
  hs_policy ReadPort(uint32_t port) const;

  // Per-rule counters summed over CPUs (HS_RULES entries).
  absl::StatusOr<std::vector<hs_counters>> ReadCounters() const;

  // The table of pending requests as the programs see it (tests and diagnostics; not a
  // snapshot: read while no program runs for exact figures). ReadOccupancy: the occupancy
  // count of each bucket of pairs (HS_PENDING_BUCKETS entries, hs_occupancy in
  // sampler.bpf.c). CountOccupied: per bucket, how many of its slots hold a pending request
  // (ts_ns != 0). When no program runs the two are equal.
  absl::StatusOr<std::vector<uint32_t>> ReadOccupancy() const;
  absl::StatusOr<std::vector<uint32_t>> CountOccupied() const;

 private:
  BpfProgram() = default;

  sampler_bpf* skel_ = nullptr;
  hs_policy* policy_ = nullptr;  // mmap of the policy array (HS_PORTS entries).
  size_t policy_bytes_ = 0;
  uint32_t ingress_id_ = 0, egress_id_ = 0, loopback_id_ = 0;
  int ncpus_ = 0;
  size_t ring_bytes_ = 0;
  std::vector<UniqueFd> rings_;  // Also held by hs_rings while the program lives.
};

}  // namespace paddock::http_sampler
