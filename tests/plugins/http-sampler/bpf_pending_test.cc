// The pending-request table's occupancy counts (hs_occupancy in sampler.bpf.c), the
// pre-check that spares a response the read of its pair of slots when nothing in its bucket
// waits: the counts follow requests and responses, stay exact while two CPUs write the same
// slots at once, and never hide a pending request (every response that has one is matched,
// and with its own request). Runs the real program with BPF_PROG_TEST_RUN; needs root.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <numeric>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bpf_program.h"
#include "plugins/http-sampler/cpu_pin.h"
#include "plugins/http-sampler/packets.h"
#include "policy.h"
#include "records.h"

namespace {

using paddock::http_sampler::BpfProgram;
using paddock::http_sampler::DecodeRecord;
using paddock::http_sampler::Policy;
using paddock::http_sampler::PolicyTable;
using paddock::http_sampler::Record;
using paddock::http_sampler::Request;
using paddock::http_sampler::RingBufferPtr;
using paddock::http_sampler::testing::CpuPin;
using paddock::http_sampler::testing::Flow;
using paddock::http_sampler::testing::Reversed;
using paddock::http_sampler::testing::TcpPacket;

bool Privileged() {
  if (geteuid() == 0) return true;
  WARN("skipped: BPF_PROG_TEST_RUN of the sampler needs root (CAP_BPF, CAP_NET_ADMIN)");
  return false;
}

// The program at 100% on hs_loopback (requests and responses through one program), with
// every record kept.
struct Table {
  std::unique_ptr<BpfProgram> prog;
  std::unique_ptr<PolicyTable> policy;
  RingBufferPtr rb;
  std::vector<Record> records;

  Table() {
    auto p = BpfProgram::Load();
    INFO(p.status().ToString());
    REQUIRE(p.ok());
    prog = std::move(*p);
    policy = std::make_unique<PolicyTable>(prog.get());
    Policy all;
    all.default_rate_ppm = 1000000;
    REQUIRE(policy->Apply(all).ok());
    auto rings = paddock::http_sampler::OpenRings(prog->ring_fds(), &Table::OnRecord, this);
    INFO(rings.status().ToString());
    REQUIRE(rings.ok());
    rb = std::move(*rings);
  }
  static int OnRecord(void* ctx, void* data, size_t size) {
    auto rec = DecodeRecord(data, size);
    if (rec.ok()) static_cast<Table*>(ctx)->records.push_back(*rec);
    return 0;
  }
  // Runs hs_loopback once on `pkt` on the calling CPU (thread-safe: no shared state here).
  bool Pass(const std::string& pkt) const {
    bpf_test_run_opts opts{};
    opts.sz = sizeof(opts);
    opts.data_in = pkt.data();
    opts.data_size_in = static_cast<uint32_t>(pkt.size());
    opts.repeat = 1;
    return bpf_prog_test_run_opts(prog->loopback_fd(), &opts) == 0;
  }
  std::vector<Record> Drain() {
    records.clear();
    ring_buffer__consume(rb.get());
    return records;
  }
  std::vector<uint32_t> Occupancy() const {
    auto o = prog->ReadOccupancy();
    REQUIRE(o.ok());
    return *o;
  }
  std::vector<uint32_t> Occupied() const {
    auto o = prog->CountOccupied();
    REQUIRE(o.ok());
    return *o;
  }
  uint64_t Total(const std::vector<uint32_t>& v) const {
    return std::accumulate(v.begin(), v.end(), uint64_t{0});
  }
};

Flow Conn(int i) { return Flow{"127.0.0.1", "127.0.0.1", static_cast<uint16_t>(20000 + i), 8080}; }
std::string Req(int i) {
  return TcpPacket(Conn(i), "GET /" + std::to_string(i) + " HTTP/1.1\r\nHost: h\r\n\r\n");
}
std::string Resp(int i) { return TcpPacket(Reversed(Conn(i)), "HTTP/1.1 200 OK\r\n\r\n"); }

size_t Responses(const std::vector<Record>& recs) {
  size_t n = 0;
  for (const Record& r : recs) n += std::holds_alternative<hs_response>(r);
  return n;
}

}  // namespace

TEST_CASE("the pending table's occupancy counts follow requests and responses", "[bpf]") {
  if (!Privileged()) return;
  CpuPin pin;
  Table t;
  CHECK(t.Total(t.Occupancy()) == 0);
  REQUIRE(t.Pass(Req(1)));
  CHECK(t.Total(t.Occupancy()) == 1);
  CHECK(t.Occupancy() == t.Occupied());
  // A second request on the connection replaces the first: still one.
  REQUIRE(t.Pass(Req(1)));
  CHECK(t.Total(t.Occupancy()) == 1);
  CHECK(t.Occupancy() == t.Occupied());
  t.Drain();
  // Its response is matched (the count let it through) and empties the bucket.
  REQUIRE(t.Pass(Resp(1)));
  CHECK(Responses(t.Drain()) == 1);
  CHECK(t.Total(t.Occupancy()) == 0);
  CHECK(t.Total(t.Occupied()) == 0);
  // Nothing pending any more: a second response reports nothing.
  REQUIRE(t.Pass(Resp(1)));
  CHECK(t.Drain().empty());

  // Many connections: counts equal the occupied slots; every response matched; all empty.
  for (int i = 0; i < 3000; ++i) REQUIRE(t.Pass(Req(i)));
  CHECK(t.Occupancy() == t.Occupied());
  uint64_t pending = t.Total(t.Occupied());
  CHECK(pending > 2900);  // A third request on a full pair replaces the older one.
  t.Drain();
  for (int i = 0; i < 3000; ++i) REQUIRE(t.Pass(Resp(i)));
  CHECK(Responses(t.Drain()) == pending);
  CHECK(t.Total(t.Occupancy()) == 0);
  CHECK(t.Total(t.Occupied()) == 0);
}

TEST_CASE("occupancy stays exact while two CPUs write the same slots at once", "[bpf]") {
  if (!Privileged()) return;
  if (std::thread::hardware_concurrency() < 2) {
    WARN("skipped: needs 2 CPUs");
    return;
  }
  Table t;
  // Both CPUs send requests and responses on the same connections, racing on the same
  // slots (the same tag: the exchange that replaces a request, the claim that takes it).
  constexpr int kConns = 64, kRounds = 300;
  std::atomic<bool> go{false};
  std::atomic<int> pinned{0};
  auto worker = [&](int cpu) {
    CpuPin pin(cpu);
    if (pin.ok()) ++pinned;
    while (!go) {
    }
    for (int r = 0; r < kRounds; ++r) {
      for (int i = 0; i < kConns; ++i) {
        // Alternate which side each CPU plays, so both replace and claim.
        bool request_first = ((r + i + cpu) % 2) == 0;
        (void)t.Pass(request_first ? Req(i) : Resp(i));
        (void)t.Pass(request_first ? Resp(i) : Req(i));
      }
    }
  };
  std::thread a(worker, 0), b(worker, 1);
  go = true;
  a.join();
  b.join();
  REQUIRE(pinned == 2);
  CHECK(t.Occupancy() == t.Occupied());

  // Whatever is still pending is found by its response (the count never hides it).
  uint64_t pending = t.Total(t.Occupied());
  {
    CpuPin pin(1);
    for (int i = 0; i < kConns; ++i) REQUIRE(t.Pass(Resp(i)));
  }
  CHECK(t.Total(t.Occupancy()) == 0);
  CHECK(t.Total(t.Occupied()) == 0);

  // Every response names a request that was made (time and tuple hash), never another's.
  std::vector<Record> recs = t.Drain();
  std::set<std::pair<uint64_t, uint64_t>> requests;
  size_t responses = 0;
  for (const Record& r : recs) {
    if (const auto* q = std::get_if<Request>(&r)) {
      requests.emplace(q->ts_ns, hs_tuple_hash(reinterpret_cast<const __u64*>(&q->tuple)));
    }
  }
  for (const Record& r : recs) {
    if (const auto* s = std::get_if<hs_response>(&r)) {
      ++responses;
      CHECK(requests.count({s->request_ts_ns, s->tag}) == 1);
    }
  }
  CHECK(responses > 0);
  CHECK(pending <= kConns);
}
