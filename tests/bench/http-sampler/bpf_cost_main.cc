// Prints the kernel-measured cost (ns per run, BPF_PROG_TEST_RUN's own timing over many
// repeats: no per-run clock reads, unlike kernel.bpf_stats_enabled) of the sampler's
// programs for the packet kinds that matter. Needs root.
//   usage: http-sampler-bpf-cost [repeats]
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "bpf_program.h"
#include "plugins/http-sampler/cpu_pin.h"
#include "plugins/http-sampler/packets.h"
#include "policy.h"

namespace {

using paddock::http_sampler::BpfProgram;
using paddock::http_sampler::Policy;
using paddock::http_sampler::PolicyTable;
using paddock::http_sampler::testing::Flow;
using paddock::http_sampler::testing::Reversed;
using paddock::http_sampler::testing::TcpPacket;

using paddock::http_sampler::testing::TestRunNs;

int Ns(int fd, const std::string& pkt, int repeat) {
  return static_cast<int>(TestRunNs(fd, pkt, repeat));
}

int Drain(void*, void*, size_t) { return 0; }

// Runs `repeat` times in batches of `batch`, draining the ring between batches (as the
// plugin's reader does), so the ring never fills; returns the mean ns per run.
long Batched(int fd, const std::string& pkt, int repeat, int batch, ring_buffer* rb) {
  long total = 0;
  int batches = 0;
  for (int done = 0; done < repeat; done += batch, ++batches) {
    total += Ns(fd, pkt, batch);
    ring_buffer__consume(rb);
  }
  return batches ? total / batches : -1;
}

}  // namespace

int main(int argc, char** argv) {
  int repeat = argc > 1 ? std::atoi(argv[1]) : 1000000;
  auto prog = BpfProgram::Load();
  if (!prog.ok()) {
    std::fprintf(stderr, "%s\n", std::string(prog.status().message()).c_str());
    return 1;
  }
  PolicyTable policy(prog->get());
  // One CPU, so every run writes into the same ring (the program picks its CPU's).
  paddock::http_sampler::testing::CpuPin pin;
  auto rings = paddock::http_sampler::OpenRings((*prog)->ring_fds(), Drain, nullptr);
  if (!rings.ok()) {
    std::fprintf(stderr, "%s\n", std::string(rings.status().message()).c_str());
    return 1;
  }
  ring_buffer* rb = rings->get();
  Flow f{"127.0.0.1", "127.0.0.1", 40000, 8080};
  std::string ack = TcpPacket(f, "");
  std::string req = TcpPacket(
      f, "GET /bench/path?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: wrk\r\n\r\n");
  std::string resp =
      TcpPacket(Reversed(f), "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 21\r\n\r\n");
  auto set = [&](uint32_t ppm) {
    Policy p;
    p.default_rate_ppm = ppm;
    (void)policy.Apply(p);
  };
  std::printf("%-44s %8s\n", "case", "ns/run");
  set(0);
  std::printf("Real interface: hs_ingress (requests), hs_egress (responses).\n");
  std::printf("%-44s %8d\n", "ingress, TCP without payload (ACK)",
              Ns((*prog)->ingress_fd(), ack, repeat));
  std::printf("%-44s %8d\n", "egress, TCP without payload (ACK)",
              Ns((*prog)->egress_fd(), ack, repeat));
  std::printf("%-44s %8d\n", "ingress, request, rate 0 (seen, no draw)",
              Ns((*prog)->ingress_fd(), req, repeat));
  set(10000);
  // 100,000 runs at 1% queue ~1,000 records (~450 KiB): drained between batches.
  std::printf("%-44s %8ld\n", "ingress, request, rate 1%",
              Batched((*prog)->ingress_fd(), req, repeat, 100000, rb));
  std::printf("%-44s %8d\n", "egress, request (not a response)",
              Ns((*prog)->egress_fd(), req, repeat));
  std::printf("%-44s %8d\n", "egress, response, nothing pending",
              Ns((*prog)->egress_fd(), resp, repeat));
  set(1000000);
  std::printf("%-44s %8ld\n", "ingress, request 100%, unanswered (same tuple)",
              Batched((*prog)->ingress_fd(), req, repeat / 10, 1000, rb));
  // A response that matches: one request (a new pending entry, as on a real connection),
  // then its response, alternately.
  long inserted = 0, matched = 0;
  int pairs = 2000;
  for (int i = 0; i < pairs; ++i) {
    inserted += Ns((*prog)->ingress_fd(), req, 1);
    matched += Ns((*prog)->egress_fd(), resp, 1);
    if (i % 500 == 0) ring_buffer__consume(rb);
  }
  ring_buffer__consume(rb);
  std::printf("%-44s %8ld\n", "ingress, request 100%, answered (one run each)", inserted / pairs);
  std::printf("%-44s %8ld\n", "egress, response matched (one run each)", matched / pairs);

  // Loopback: hs_loopback on lo's ingress sees both directions (one run per packet where
  // a real interface's pair of hooks would run twice on lo).
  int lo = (*prog)->loopback_fd();
  std::printf("Loopback: hs_loopback (both directions, lo ingress only).\n");
  set(0);
  std::printf("%-44s %8d\n", "loopback, TCP without payload (ACK)", Ns(lo, ack, repeat));
  std::printf("%-44s %8d\n", "loopback, request, rate 0 (seen, no draw)", Ns(lo, req, repeat));
  set(10000);
  std::printf("%-44s %8ld\n", "loopback, request, rate 1%", Batched(lo, req, repeat, 100000, rb));
  std::printf("%-44s %8d\n", "loopback, response, nothing pending", Ns(lo, resp, repeat));
  set(1000000);
  inserted = 0;
  matched = 0;
  for (int i = 0; i < pairs; ++i) {
    inserted += Ns(lo, req, 1);
    matched += Ns(lo, resp, 1);
    if (i % 500 == 0) ring_buffer__consume(rb);
  }
  ring_buffer__consume(rb);
  std::printf("%-44s %8ld\n", "loopback, request 100%, answered (one run each)", inserted / pairs);
  std::printf("%-44s %8ld\n", "loopback, response matched (one run each)", matched / pairs);
  return 0;
}
