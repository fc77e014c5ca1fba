// The ring-buffer reader against the real program's ring (records made with
// BPF_PROG_TEST_RUN): it sleeps while the ring is idle, a record wakes it, an unanswered
// request is reported when its timeout passes though nothing else arrives, and it stops
// at once. Needs root (loading the program); skips with a message otherwise.
#include "event_reader.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "bpf_program.h"
#include "plugins/http-sampler/cpu_pin.h"
#include "plugins/http-sampler/packets.h"
#include "policy.h"

namespace {

using paddock::http_sampler::BpfProgram;
using paddock::http_sampler::Completed;
using paddock::http_sampler::EventReader;
using paddock::http_sampler::Joiner;
using paddock::http_sampler::Policy;
using paddock::http_sampler::PolicyTable;
using paddock::http_sampler::testing::CpuPin;
using paddock::http_sampler::testing::Flow;
using paddock::http_sampler::testing::Reversed;
using paddock::http_sampler::testing::TcpPacket;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

bool Privileged() {
  if (geteuid() == 0) return true;
  WARN("skipped: the reader tests load the sampler program (needs root)");
  return false;
}

// What the reader delivered, as the plugin's sink would see it (on the reader thread).
struct Collected {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Completed> samples;

  EventReader::Sink Sink() {
    return [this](const std::vector<Completed>& batch) {
      std::lock_guard<std::mutex> lock(mu);
      samples.insert(samples.end(), batch.begin(), batch.end());
      cv.notify_all();
    };
  }
  // Waits up to `limit` for `n` samples; returns how many there are.
  size_t WaitFor(size_t n, milliseconds limit) {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, limit, [&] { return samples.size() >= n; });
    return samples.size();
  }
};

// The program at 100%, and a helper that passes a packet through hs_loopback.
struct Program {
  std::unique_ptr<BpfProgram> prog;
  std::unique_ptr<PolicyTable> policy;
  Program() {
    auto p = BpfProgram::Load();
    INFO(p.status().ToString());
    REQUIRE(p.ok());
    prog = std::move(*p);
    policy = std::make_unique<PolicyTable>(prog.get());
    Policy all;
    all.default_rate_ppm = 1000000;
    REQUIRE(policy->Apply(all).ok());
  }
  void Pass(const std::string& pkt) {
    bpf_test_run_opts opts{};
    opts.sz = sizeof(opts);
    opts.data_in = pkt.data();
    opts.data_size_in = static_cast<uint32_t>(pkt.size());
    REQUIRE(bpf_prog_test_run_opts(prog->loopback_fd(), &opts) == 0);
  }
  // A reader of this program's rings that delivers into `got`.
  absl::StatusOr<std::unique_ptr<EventReader>> StartReader(Collected& got, uint64_t timeout_ns) {
    return EventReader::Start(prog->ring_fds(), prog->ring_bytes(), got.Sink(), timeout_ns);
  }
};

const Flow kFlow{"127.0.0.1", "127.0.0.1", 45000, 8080};

}  // namespace

TEST_CASE("an idle reader sleeps; a record wakes it and its sample is delivered",
          "[reader][root]") {
  if (!Privileged()) return;
  Program p;
  Collected got;
  auto reader = p.StartReader(got, 5'000'000'000ull);
  REQUIRE(reader.ok());
  // Nothing in the ring: no periodic drains (a 10 ms poll would have woken ~50 times).
  std::this_thread::sleep_for(milliseconds(500));
  CHECK((*reader)->wakeups() <= 1);

  // A request and its response: the first record wakes the reader.
  Clock::time_point sent = Clock::now();
  p.Pass(TcpPacket(kFlow, "GET /woken HTTP/1.1\r\nHost: r\r\n\r\n"));
  p.Pass(TcpPacket(Reversed(kFlow), "HTTP/1.1 200 OK\r\n\r\n"));
  REQUIRE(got.WaitFor(1, milliseconds(2000)) == 1);
  auto delay = Clock::now() - sent;
  CHECK(delay < milliseconds(500));  // Woken, not found by a timeout.
  CHECK(got.samples[0].status == 200);
  CHECK(std::string(got.samples[0].request.path()) == "/woken");
  CHECK((*reader)->samples() == 1);
  CHECK((*reader)->unanswered() == 0);

  // After the batch, it goes back to sleep.
  std::this_thread::sleep_for(milliseconds(200));
  uint64_t settled = (*reader)->wakeups();
  std::this_thread::sleep_for(milliseconds(500));
  CHECK((*reader)->wakeups() == settled);
}

TEST_CASE("an unanswered request is reported at its timeout while the ring stays idle",
          "[reader][root]") {
  if (!Privileged()) return;
  Program p;
  Collected got;
  auto reader = p.StartReader(got, 300'000'000ull);
  REQUIRE(reader.ok());
  Clock::time_point sent = Clock::now();
  p.Pass(TcpPacket(kFlow, "GET /never HTTP/1.1\r\n\r\n"));
  REQUIRE(got.WaitFor(1, milliseconds(3000)) == 1);
  auto waited = Clock::now() - sent;
  CHECK(waited >= milliseconds(250));  // Not before its timeout...
  CHECK(waited < milliseconds(1500));  // ...and not long after, with nothing else arriving.
  CHECK(got.samples[0].status == 0);
  CHECK((*reader)->unanswered() == 1);
}

TEST_CASE("a shorter timeout applies to requests already waiting", "[reader][root]") {
  if (!Privileged()) return;
  Program p;
  Collected got;
  auto reader = p.StartReader(got, 600'000'000'000ull);
  REQUIRE(reader.ok());
  p.Pass(TcpPacket(kFlow, "GET /long HTTP/1.1\r\n\r\n"));
  std::this_thread::sleep_for(milliseconds(100));  // Read, now waiting for 600 s.
  CHECK(got.WaitFor(1, milliseconds(0)) == 0);
  (*reader)->set_timeout_ns(1'000'000);
  CHECK(got.WaitFor(1, milliseconds(2000)) == 1);
}

TEST_CASE("stopping an idle reader is immediate and reports what is pending", "[reader][root]") {
  if (!Privileged()) return;
  Program p;
  Collected got;
  auto reader = p.StartReader(got, 600'000'000'000ull);
  REQUIRE(reader.ok());
  p.Pass(TcpPacket(kFlow, "GET /pending HTTP/1.1\r\n\r\n"));
  std::this_thread::sleep_for(milliseconds(100));
  Clock::time_point t0 = Clock::now();
  reader->reset();
  CHECK(Clock::now() - t0 < milliseconds(500));
  REQUIRE(got.samples.size() == 1);
  CHECK(got.samples[0].status == 0);
}

TEST_CASE("the batch wait follows the rate: long at low rates, short at high ones", "[reader]") {
  constexpr uint64_t kMs = 1000000;
  // A drain of kBusyBytes or more: the next one at once.
  CHECK(EventReader::BatchWaitMs(EventReader::kBusyBytes, 10 * kMs) == 0);
  // 10 KB over 100 ms: kBusyBytes would take ~10 s; capped.
  CHECK(EventReader::BatchWaitMs(10000, 100 * kMs) == EventReader::kMaxBatchMs);
  // Half of kBusyBytes in 10 ms: the other half takes 10 ms more (20 ms in all).
  CHECK(EventReader::BatchWaitMs(EventReader::kBusyBytes / 2, 10 * kMs) == 20);
  // Very fast, but below kBusyBytes: at least 1 ms, never a busy loop.
  CHECK(EventReader::BatchWaitMs(1000, 1000) == 1);
  // A long quiet time does not overflow the arithmetic.
  CHECK(EventReader::BatchWaitMs(1, uint64_t{1} << 62) == EventReader::kMaxBatchMs);
}

TEST_CASE("a steady low rate costs about one wakeup per kMaxBatchMs", "[reader][root]") {
  if (!Privileged()) return;
  Program p;
  Collected got;
  auto reader = p.StartReader(got, 5'000'000'000ull);
  REQUIRE(reader.ok());
  // 200 requests with their responses, one every 5 ms, for one second.
  Clock::time_point start = Clock::now();
  for (int i = 0; i < 200; ++i) {
    Flow f = kFlow;
    f.sport = static_cast<uint16_t>(20000 + i);
    p.Pass(TcpPacket(f, "GET /steady HTTP/1.1\r\n\r\n"));
    p.Pass(TcpPacket(Reversed(f), "HTTP/1.1 200 OK\r\n\r\n"));
    std::this_thread::sleep_until(start + milliseconds(5 * (i + 1)));
  }
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  uint64_t wakeups = (*reader)->wakeups();
  REQUIRE(got.WaitFor(200, milliseconds(2000)) == 200);
  // One drain per kMaxBatchMs (10 per second), plus the first ones while the rate is
  // learnt; a fixed 10 or 20 ms period would be 50-100 per second.
  INFO("wakeups " << wakeups << " in " << seconds << " s");
  CHECK(static_cast<double>(wakeups) <= 1 + 1.5 * seconds * 1000 / EventReader::kMaxBatchMs + 3);
}

TEST_CASE("a response read from another CPU's ring before its request completes it",
          "[reader][root]") {
  if (!Privileged()) return;
  if (std::thread::hardware_concurrency() < 2) {
    WARN("skipped: needs two CPUs (one ring each)");
    return;
  }
  Program p;
  REQUIRE(p.prog->ring_fds().size() >= 2);
  // The request on CPU 1, its response on CPU 0: one drain reads ring 0 first, so the
  // response comes before its request, as with client and server on different CPUs.
  {
    CpuPin on1(1);
    REQUIRE(on1.ok());
    p.Pass(TcpPacket(kFlow, "GET /split HTTP/1.1\r\nHost: s\r\n\r\n"));
  }
  {
    CpuPin on0(0);
    REQUIRE(on0.ok());
    p.Pass(TcpPacket(Reversed(kFlow), "HTTP/1.1 204 No Content\r\n\r\n"));
  }
  struct Read {
    Joiner joiner{5'000'000'000ull, 1024};
    std::vector<Completed> done;
    std::vector<uint8_t> kinds;
    size_t held_after_first = 0;
  } read;
  auto on_record = [](void* ctx, void* data, size_t size) -> int {
    auto* r = static_cast<Read*>(ctx);
    auto rec = paddock::http_sampler::DecodeRecord(data, size);
    CHECK(rec.ok());  // (No REQUIRE: it would throw through libbpf's C frames.)
    if (!rec.ok()) return 0;
    if (auto* req = std::get_if<paddock::http_sampler::Request>(&*rec)) {
      r->kinds.push_back(HS_KIND_REQUEST);
      r->joiner.AddRequest(*req, &r->done);
    } else {
      r->kinds.push_back(HS_KIND_RESPONSE);
      (void)r->joiner.AddResponse(std::get<hs_response>(*rec), &r->done);
      if (r->kinds.size() == 1) r->held_after_first = r->joiner.held();
    }
    return 0;
  };
  auto rings = paddock::http_sampler::OpenRings(p.prog->ring_fds(), on_record, &read);
  REQUIRE(rings.ok());
  REQUIRE(ring_buffer__consume(rings->get()) == 2);
  CHECK(read.kinds == std::vector<uint8_t>{HS_KIND_RESPONSE, HS_KIND_REQUEST});
  CHECK(read.held_after_first == 1);
  REQUIRE(read.done.size() == 1);
  CHECK(read.done[0].status == 204);
  CHECK(std::string(read.done[0].request.path()) == "/split");
  CHECK(read.joiner.held() == 0);
  CHECK(read.joiner.pending() == 0);
  CHECK(read.joiner.unmatched() == 0);
}

TEST_CASE("the reader joins requests and responses spread over every CPU's ring",
          "[reader][root]") {
  if (!Privileged()) return;
  Program p;
  Collected got;
  auto reader = p.StartReader(got, 5'000'000'000ull);
  REQUIRE(reader.ok());
  int cpus = static_cast<int>(p.prog->ring_fds().size());
  int allowed = static_cast<int>(std::thread::hardware_concurrency());
  // Each request on one CPU and its response on the next: half of them are read response
  // first whatever the reader's timing.
  constexpr int kPairs = 200;
  for (int i = 0; i < kPairs; ++i) {
    Flow f = kFlow;
    f.sport = static_cast<uint16_t>(30000 + i);
    {
      CpuPin pin(i % std::min(cpus, allowed));
      p.Pass(TcpPacket(f, "GET /spread HTTP/1.1\r\n\r\n"));
    }
    {
      CpuPin pin((i + 1) % std::min(cpus, allowed));
      p.Pass(TcpPacket(Reversed(f), "HTTP/1.1 200 OK\r\n\r\n"));
    }
  }
  REQUIRE(got.WaitFor(kPairs, milliseconds(3000)) == kPairs);
  std::lock_guard<std::mutex> lock(got.mu);
  for (const Completed& c : got.samples) CHECK(c.status == 200);
  CHECK((*reader)->unanswered() == 0);
  CHECK((*reader)->unmatched_responses() == 0);
}
