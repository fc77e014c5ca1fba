#include "bpf_program.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <sys/mman.h>

#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "paddock/errno_status.h"
#include "paddock/log.h"

// The generated skeleton is C written for C compilers; keep its warnings out of ours.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wpedantic"
#include "sampler.skel.h"
#pragma GCC diagnostic pop

namespace paddock::http_sampler {
namespace {

static_assert(sizeof(hs_policy) == 8, "policy entries are written with one 8-byte store");
static_assert(sizeof(hs_tuple) == 40);
static_assert(sizeof(hs_counters) == 32);
static_assert(sizeof(hs_slot) == 16, "a pair of slots shares a cache line");
static_assert((HS_PENDING_BUCKETS & (HS_PENDING_BUCKETS - 1)) == 0 &&
                  (HS_PENDING_SLOTS / 2) % HS_PENDING_BUCKETS == 0,
              "an occupancy bucket covers whole pairs of pending slots");
static_assert(sizeof(hs_request) == 64, "request records are this header + text");
static_assert(sizeof(hs_response) == 32);

// libbpf's messages (warnings, the verifier log on failure) are kept while a Load runs,
// so its error can carry them, and go to the plugin log otherwise.
std::mutex g_log_mu;
std::string* g_capture = nullptr;  // Guarded by g_log_mu.

int LibbpfPrint(enum libbpf_print_level level, const char* format, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  char line[1024];
  int n = vsnprintf(line, sizeof(line), format, args);
  if (n < 0) return 0;
  std::string text(line, std::min<size_t>(static_cast<size_t>(n), sizeof(line) - 1));
  while (!text.empty() && text.back() == '\n') text.pop_back();
  {
    std::lock_guard<std::mutex> lock(g_log_mu);
    if (g_capture != nullptr) {
      g_capture->append(text).append("\n");
      if (g_capture->size() > 64 * 1024) g_capture->erase(0, g_capture->size() - 64 * 1024);
    }
  }
  // Warnings outside a load are mostly netlink's answers to expected conditions (a
  // clsact that exists, a filter already gone): debug only. Load failures carry the
  // captured text in their Status.
  paddock::log::Debug("libbpf", {{"msg", text}});
  return 0;
}

// Last lines of the captured libbpf output (the verifier's verdict is at the end).
std::string Tail(const std::string& s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  return "..." + s.substr(s.size() - max_bytes);
}

absl::StatusOr<uint32_t> ProgId(int fd) {
  bpf_prog_info info{};
  uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0) {
    return ErrnoStatus(errno, "bpf: program info");
  }
  return info.id;
}

}  // namespace

absl::StatusOr<std::unique_ptr<BpfProgram>> BpfProgram::Load() {
  static std::once_flag once;
  std::call_once(once, [] { libbpf_set_print(LibbpfPrint); });

  std::string captured;
  {
    std::lock_guard<std::mutex> lock(g_log_mu);
    g_capture = &captured;
  }
  auto stop_capture = [&] {
    std::lock_guard<std::mutex> lock(g_log_mu);
    g_capture = nullptr;
  };

  std::unique_ptr<BpfProgram> prog(new BpfProgram());
  prog->ncpus_ = libbpf_num_possible_cpus();
  if (prog->ncpus_ <= 0) {
    stop_capture();
    return ErrnoStatus(-prog->ncpus_, "bpf: possible CPUs");
  }
  prog->ring_bytes_ = RingBytes(prog->ncpus_);
  prog->skel_ = sampler_bpf__open();
  if (prog->skel_ == nullptr) {
    int err = errno;
    stop_capture();
    return ErrnoStatus(err, absl::StrCat("bpf: open the sampler object: ", Tail(captured, 2000)));
  }
  // One ring per possible CPU (bpf_get_smp_processor_id() is below that). (The inner map
  // template keeps its one-page size: libbpf creates it only to create the outer array,
  // and libbpf 1.1 crashes resizing an inner map.)
  if (int err =
          bpf_map__set_max_entries(prog->skel_->maps.hs_rings, static_cast<uint32_t>(prog->ncpus_));
      err != 0) {
    stop_capture();
    return ErrnoStatus(-err, "bpf: size the per-CPU ring buffer array");
  }
  if (int err = sampler_bpf__load(prog->skel_); err != 0) {
    stop_capture();
    return ErrnoStatus(-err, absl::StrCat("bpf: load the sampler program (needs CAP_BPF, "
                                          "CAP_NET_ADMIN, CAP_PERFMON and kernel BTF at "
                                          "/sys/kernel/btf/vmlinux): ",
                                          Tail(captured, 4000)));
  }
  stop_capture();

  int outer = bpf_map__fd(prog->skel_->maps.hs_rings);
  for (int cpu = 0; cpu < prog->ncpus_; ++cpu) {
    std::string name = absl::StrCat("hs_ring_", cpu);
    UniqueFd ring(bpf_map_create(BPF_MAP_TYPE_RINGBUF, name.c_str(), 0, 0,
                                 static_cast<uint32_t>(prog->ring_bytes_), nullptr));
    if (!ring.valid()) return ErrnoStatus(errno, absl::StrCat("bpf: create the ring of CPU ", cpu));
    uint32_t key = static_cast<uint32_t>(cpu);
    int fd = ring.get();
    if (bpf_map_update_elem(outer, &key, &fd, BPF_ANY) < 0) {
      return ErrnoStatus(errno, absl::StrCat("bpf: install the ring of CPU ", cpu));
    }
    prog->rings_.push_back(std::move(ring));
  }

  prog->policy_bytes_ = sizeof(hs_policy) * HS_PORTS;
  void* map = ::mmap(nullptr, prog->policy_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED,
                     bpf_map__fd(prog->skel_->maps.hs_policy), 0);
  if (map == MAP_FAILED) return ErrnoStatus(errno, "bpf: mmap the policy map");
  prog->policy_ = static_cast<hs_policy*>(map);

  for (auto [fd, id] : {std::pair{prog->ingress_fd(), &prog->ingress_id_},
                        std::pair{prog->egress_fd(), &prog->egress_id_},
                        std::pair{prog->loopback_fd(), &prog->loopback_id_}}) {
    absl::StatusOr<uint32_t> got = ProgId(fd);
    if (!got.ok()) return got.status();
    *id = *got;
  }
  return prog;
}

BpfProgram::~BpfProgram() {
  if (policy_ != nullptr) ::munmap(policy_, policy_bytes_);
  if (skel_ != nullptr) sampler_bpf__destroy(skel_);
}

int BpfProgram::ingress_fd() const { return bpf_program__fd(skel_->progs.hs_ingress); }
int BpfProgram::egress_fd() const { return bpf_program__fd(skel_->progs.hs_egress); }
int BpfProgram::loopback_fd() const { return bpf_program__fd(skel_->progs.hs_loopback); }
std::vector<int> BpfProgram::ring_fds() const {
  std::vector<int> fds;
  for (const UniqueFd& r : rings_) fds.push_back(r.get());
  return fds;
}

size_t BpfProgram::RingBytes(int ncpus) {
  if (ncpus < 1) ncpus = 1;
  size_t share = HS_RING_BUDGET / static_cast<size_t>(ncpus);
  size_t bytes = HS_RING_BYTES;
  while (bytes > share && bytes > HS_RING_MIN_BYTES) bytes /= 2;
  return bytes;
}

void RingBufferDeleter::operator()(ring_buffer* rb) const { ring_buffer__free(rb); }

absl::StatusOr<RingBufferPtr> OpenRings(const std::vector<int>& fds,
                                        int (*fn)(void* ctx, void* data, size_t size), void* ctx) {
  if (fds.empty()) return absl::InvalidArgumentError("ring buffer: no rings");
  RingBufferPtr rb(ring_buffer__new(fds[0], fn, ctx, nullptr));
  if (rb == nullptr) return ErrnoStatus(errno, "ring buffer: open");
  for (size_t i = 1; i < fds.size(); ++i) {
    if (int err = ring_buffer__add(rb.get(), fds[i], fn, ctx); err != 0) {
      return ErrnoStatus(-err, absl::StrCat("ring buffer: add ring ", i));
    }
  }
  return rb;
}

void BpfProgram::WritePort(uint32_t port, hs_policy value) {
  if (port >= HS_PORTS) return;
  uint64_t word;
  static_assert(sizeof(word) == sizeof(value));
  __builtin_memcpy(&word, &value, sizeof(word));
  __atomic_store_n(reinterpret_cast<uint64_t*>(&policy_[port]), word, __ATOMIC_RELEASE);
}

hs_policy BpfProgram::ReadPort(uint32_t port) const {
  hs_policy value{};
  if (port >= HS_PORTS) return value;
  uint64_t word =
      __atomic_load_n(reinterpret_cast<const uint64_t*>(&policy_[port]), __ATOMIC_ACQUIRE);
  __builtin_memcpy(&value, &word, sizeof(word));
  return value;
}

absl::Status BpfProgram::ResetRule(uint32_t rule) {
  if (rule >= HS_RULES) return absl::InvalidArgumentError("bpf: rule out of range");
  std::vector<hs_counters> zero(static_cast<size_t>(ncpus_));
  if (bpf_map_update_elem(bpf_map__fd(skel_->maps.hs_counters), &rule, zero.data(), BPF_ANY) < 0) {
    return ErrnoStatus(errno, "bpf: reset rule counters");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<hs_counters>> BpfProgram::ReadCounters() const {
  std::vector<hs_counters> sums(HS_RULES);
  std::vector<hs_counters> per_cpu(static_cast<size_t>(ncpus_));
  int fd = bpf_map__fd(skel_->maps.hs_counters);
  for (uint32_t rule = 0; rule < HS_RULES; ++rule) {
    if (bpf_map_lookup_elem(fd, &rule, per_cpu.data()) < 0) {
      return ErrnoStatus(errno, "bpf: read counters");
    }
    for (const hs_counters& c : per_cpu) {
      sums[rule].seen += c.seen;
      sums[rule].sampled += c.sampled;
      sums[rule].ring_full += c.ring_full;
      sums[rule].responses += c.responses;
    }
  }
  return sums;
}

absl::StatusOr<std::vector<uint32_t>> BpfProgram::ReadOccupancy() const {
  std::vector<uint32_t> counts(HS_PENDING_BUCKETS);
  uint32_t zero = 0;
  if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.hs_occupancy), &zero, counts.data()) < 0) {
    return ErrnoStatus(errno, "bpf: read the pending table's occupancy");
  }
  return counts;
}

absl::StatusOr<std::vector<uint32_t>> BpfProgram::CountOccupied() const {
  std::vector<uint32_t> counts(HS_PENDING_BUCKETS);
  int fd = bpf_map__fd(skel_->maps.hs_pending);
  constexpr uint32_t kSlotsPerBucket = HS_PENDING_SLOTS / HS_PENDING_BUCKETS;
  for (uint32_t i = 0; i < HS_PENDING_SLOTS; ++i) {
    hs_slot slot{};
    if (bpf_map_lookup_elem(fd, &i, &slot) < 0) return ErrnoStatus(errno, "bpf: read hs_pending");
    if (slot.ts_ns != 0) ++counts[i / kSlotsPerBucket];
  }
  return counts;
}

}  // namespace paddock::http_sampler
