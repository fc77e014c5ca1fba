// Times each path of the sampler's loopback program (hs_loopback, the one the bench and a
// loopback deployment run) with BPF_PROG_TEST_RUN, against floors loaded in the same run:
// floor_unspec (a program that only returns TC_ACT_UNSPEC) and floor_parse (the sampler's
// own parse up to the first payload word; floor.bpf.c). The kernel times `repeat` runs of
// one packet with two clock reads and reports the mean, so a figure carries no per-run clock
// overhead (unlike kernel.bpf_stats_enabled). Every case is measured `trials` times, the
// cases interleaved trial after trial so a slow spell of the machine spreads over all of
// them; the table gives the median, the range and the ratio of the median to the floors'.
// Runs on one CPU (the calling thread is pinned: the program writes into that CPU's ring,
// which is drained between batches so it never fills; ring_full counts what did not fit).
// Needs root.
//   usage: http-sampler-prog-cost [--repeat N] [--trials K] [--cpu C] [--only TEXT]
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "bpf_program.h"
#include "plugins/http-sampler/cpu_pin.h"
#include "plugins/http-sampler/packets.h"
#include "policy.h"

// The generated skeleton is C written for C compilers; keep its warnings out of ours.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wpedantic"
#include "floor.skel.h"
#pragma GCC diagnostic pop

namespace {

using paddock::http_sampler::BpfProgram;
using paddock::http_sampler::Policy;
using paddock::http_sampler::PolicyTable;
using paddock::http_sampler::testing::Flow;
using paddock::http_sampler::testing::Reversed;
using paddock::http_sampler::testing::TcpPacket;

using paddock::http_sampler::testing::TestRunNs;

int Discard(void*, void*, size_t) { return 0; }

// One path: how to run it once per trial and what policy it needs.
struct Case {
  std::string name;
  uint32_t rate_ppm;                // The default rate while it runs.
  std::function<double()> measure;  // Mean ns per run for one trial.
  std::vector<double> ns;           // One figure per trial.
  uint64_t ring_full = 0;
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

uint64_t RingFull(const BpfProgram& prog) {
  auto c = prog.ReadCounters();
  uint64_t total = 0;
  if (c.ok())
    for (const hs_counters& r : *c) total += r.ring_full;
  return total;
}

struct FloorDeleter {
  void operator()(floor_bpf* f) const { floor_bpf__destroy(f); }
};

}  // namespace

int main(int argc, char** argv) {
  int repeat = 200000, trials = 7, cpu = -1;
  std::string only;  // Run only the cases whose name contains it (and the floors).
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 < argc && a == "--repeat") {
      repeat = std::atoi(argv[++i]);
    } else if (i + 1 < argc && a == "--trials") {
      trials = std::atoi(argv[++i]);
    } else if (i + 1 < argc && a == "--cpu") {
      cpu = std::atoi(argv[++i]);
    } else if (i + 1 < argc && a == "--only") {
      only = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--repeat N] [--trials K] [--cpu C] [--only TEXT]\n",
                   argv[0]);
      return 2;
    }
  }
  if (repeat < 1000 || trials < 1) {
    std::fprintf(stderr, "--repeat must be >= 1000 and --trials >= 1\n");
    return 2;
  }
  paddock::http_sampler::testing::CpuPin pin(cpu);
  if (!pin.ok()) {
    std::fprintf(stderr, "could not pin to CPU %d\n", cpu);
    return 1;
  }
  auto loaded = BpfProgram::Load();
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", std::string(loaded.status().message()).c_str());
    return 1;
  }
  BpfProgram& prog = **loaded;
  std::unique_ptr<floor_bpf, FloorDeleter> floor(floor_bpf__open_and_load());
  if (!floor) {
    std::fprintf(stderr, "floor programs: load failed (%s)\n", std::strerror(errno));
    return 1;
  }
  PolicyTable policy(&prog);
  auto rings = paddock::http_sampler::OpenRings(prog.ring_fds(), Discard, nullptr);
  if (!rings.ok()) {
    std::fprintf(stderr, "%s\n", std::string(rings.status().message()).c_str());
    return 1;
  }
  ring_buffer* rb = rings->get();
  const int lo = prog.loopback_fd();
  const int unspec = bpf_program__fd(floor->progs.floor_unspec);
  const int parse = bpf_program__fd(floor->progs.floor_parse);

  // Packets as wrk and nginx send them on lo (client port 40000 -> server 8080).
  Flow f{"127.0.0.1", "127.0.0.1", 40000, 8080};
  Flow idle{"127.0.0.1", "127.0.0.1", 40001, 8080};  // A connection never sampled.
  const std::string ack = TcpPacket(f, "");
  const std::string other = TcpPacket(f, std::string(512, 'x'));
  const std::string req = TcpPacket(f, "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n");
  const std::string long_req = TcpPacket(
      f,
      "GET /api/v2/accounts/8c1d2f5e-93a0-4b7e-a1c4-2b9f0e6d7c31/orders?status=open&sort="
      "-created_at&page=3&per_page=50 HTTP/1.1\r\n"
      "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0\r\n"
      "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
      "Accept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\n"
      "Cookie: session=3f9a0c2e7b1d4e8fa6c5b0d9e2f1a3b4; theme=dark; consent=1\r\n"
      "Connection: keep-alive\r\nHost: shop.internal.example.com:8443\r\n\r\n");
  const std::string resp =
      TcpPacket(Reversed(f),
                "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\n"
                "Content-Length: 615\r\nConnection: keep-alive\r\n\r\n");
  const std::string idle_resp =
      TcpPacket(Reversed(idle), "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n\r\n");

  // Responses on many connections none of which has a pending request: each reads a
  // different pair of hs_pending slots (a different cache line), as on a busy server.
  std::vector<std::string> many;
  for (int i = 0; i < 16384; ++i) {
    Flow c{"127.0.0.1", "127.0.0.1", static_cast<uint16_t>(10000 + i), 8080};
    many.push_back(TcpPacket(Reversed(c), "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n\r\n"));
  }
  // The control: requests on as many connections at rate 0, which touch no table.
  std::vector<std::string> many_req;
  for (int i = 0; i < 16384; ++i) {
    Flow c{"127.0.0.1", "127.0.0.1", static_cast<uint16_t>(10000 + i), 8080};
    many_req.push_back(TcpPacket(c, "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n"));
  }
  size_t next_many = 0;

  // Repeated runs in batches, the ring drained after each (as the reader would).
  auto batched = [&](int fd, const std::string& pkt, int batch) {
    double total = 0;
    int n = 0;
    for (int done = 0; done < repeat; done += batch, ++n) {
      total += TestRunNs(fd, pkt, std::min(batch, repeat - done)) * std::min(batch, repeat - done);
      ring_buffer__consume(rb);
    }
    return total / repeat;
  };
  // A request then its response, one run each (a matched response needs its request
  // first): the kernel's clock reads then fall inside every figure, so these two are
  // compared with floor_unspec timed the same way (`1 run per call`).
  const int pairs = std::max(1000, repeat / 50);
  double last_pair_req = 0;
  auto pair_resp = [&] {
    double rq = 0, rs = 0;
    for (int i = 0; i < pairs; ++i) {
      rq += TestRunNs(lo, req, 1);
      rs += TestRunNs(lo, resp, 1);
      if (i % 1000 == 999) ring_buffer__consume(rb);
    }
    ring_buffer__consume(rb);
    last_pair_req = rq / pairs;
    return rs / pairs;
  };
  auto single = [&](int fd, const std::string& pkt) {
    double t = 0;
    for (int i = 0; i < pairs; ++i) t += TestRunNs(fd, pkt, 1);
    return t / pairs;
  };

  std::vector<Case> cases;
  auto add = [&](std::string name, uint32_t rate, std::function<double()> m) {
    cases.push_back(Case{std::move(name), rate, std::move(m), {}, 0});
  };
  add("floor_unspec (returns only)", 0, [&] { return TestRunNs(unspec, req, repeat); });
  add("floor_parse (parse to 1st word)", 0, [&] { return TestRunNs(parse, req, repeat); });
  add("ACK (no payload)", 0, [&] { return TestRunNs(lo, ack, repeat); });
  add("non-HTTP payload (512 B)", 0, [&] { return TestRunNs(lo, other, repeat); });
  add("request, rate 0", 0, [&] { return TestRunNs(lo, req, repeat); });
  add("request, rate 1 ppm (drawn out)", 1, [&] { return batched(lo, req, repeat); });
  add("request, rate 1% (mix)", 10000, [&] { return batched(lo, req, 100000); });
  add("request sampled, short (wrk)", 1000000, [&] { return batched(lo, req, 20000); });
  add("request sampled, long path+headers", 1000000, [&] { return batched(lo, long_req, 20000); });
  add("response, nothing pending", 0, [&] { return TestRunNs(lo, idle_resp, repeat); });
  add("response, nothing pending, rate 100%", 1000000,
      [&] { return TestRunNs(lo, idle_resp, repeat); });
  add("floor_unspec, 1 run per call", 0, [&] { return single(unspec, req); });
  add("response, nothing pending, 1 run/call", 0, [&] { return single(lo, idle_resp); });
  add("  same, 16384 connections, 1 run/call", 0, [&] {
    double t = 0;
    for (int i = 0; i < pairs; ++i) t += TestRunNs(lo, many[next_many++ % many.size()], 1);
    return t / pairs;
  });
  add("  request rate 0, 16384 conns, 1 run/call", 0, [&] {
    double t = 0;
    for (int i = 0; i < pairs; ++i) t += TestRunNs(lo, many_req[next_many++ % many.size()], 1);
    return t / pairs;
  });
  add("response matched, 1 run per call", 1000000, pair_resp);
  add("request of the matched pair, 1 run/call", 1000000, [&] { return last_pair_req; });

  auto set_rate = [&](uint32_t ppm) {
    Policy p;
    p.default_rate_ppm = ppm;
    (void)policy.Apply(p);
  };
  // --only: the floors (rows 0, 1 and 11, which every ratio needs) and the matching cases.
  for (size_t i = 0; i < cases.size(); ++i) {
    if (!only.empty() && i != 0 && i != 1 && i != 11 &&
        cases[i].name.find(only) == std::string::npos) {
      cases[i].measure = nullptr;
    }
  }
  for (Case& c : cases) {  // Warm-up: caches, branch predictors, the ring's pages.
    if (!c.measure) continue;
    set_rate(c.rate_ppm);
    (void)c.measure();
  }
  for (int t = 0; t < trials; ++t) {
    for (Case& c : cases) {
      if (!c.measure) continue;
      set_rate(c.rate_ppm);
      uint64_t before = RingFull(prog);
      c.ns.push_back(c.measure());
      c.ring_full += RingFull(prog) - before;
    }
  }
  double floor_ns = Median(cases[0].ns), parse_ns = Median(cases[1].ns);
  double floor1_ns = Median(cases[11].ns);
  std::printf("hs_loopback by BPF_PROG_TEST_RUN on CPU %d: %d runs per figure, %d trials\n",
              sched_getcpu(), repeat, trials);
  std::printf("%-40s %8s %17s %7s %7s %9s\n", "path", "ns/run", "range", "x unsp", "x parse",
              "ring_full");
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    if (c.ns.empty()) continue;
    double med = Median(c.ns);
    auto [lo_it, hi_it] = std::minmax_element(c.ns.begin(), c.ns.end());
    bool per_call = i >= 11;  // Compared with the floor timed one run per call.
    char range[40];
    std::snprintf(range, sizeof(range), "%.1f-%.1f", *lo_it, *hi_it);
    std::printf("%-40s %8.1f %17s %7.2f %7s %9llu\n", c.name.c_str(), med, range,
                med / (per_call ? floor1_ns : floor_ns),
                per_call ? "-" : std::to_string(med / parse_ns).substr(0, 4).c_str(),
                static_cast<unsigned long long>(c.ring_full));
  }
  std::printf(
      "x unsp: median / floor_unspec's (rows timed 1 run per call: / floor_unspec's timed "
      "alike, whose figure includes the kernel's clock reads); x parse: / floor_parse's.\n");
  return 0;
}
