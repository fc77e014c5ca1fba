#include "bench_worker.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "paddock/fd.h"
#include "replica.h"
#include "udp_io.h"

namespace paddock::gcounter::bench {
namespace {

int64_t Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1'000'000'000ll + ts.tv_nsec;
}

void Say(int fd, const std::string& line) {
  std::string l = line + "\n";
  (void)!write(fd, l.data(), l.size());
}

struct Node {
  UniqueFd fd;
  std::unique_ptr<Replica> replica;
  int64_t next_tick = 0;
  uint64_t rounds_at_burst = 0;
  bool converged = true;
};

constexpr uint64_t kTimerTag = UINT64_MAX;
constexpr uint64_t kCommandTag = UINT64_MAX - 1;
const char kCounter[] = "bench";

}  // namespace

int RunWorker(const WorkerOptions& options, int in_fd, int out_fd) {
  std::mt19937_64 rng(options.seed);
  std::vector<Node> nodes(options.nodes);
  EngineOptions eo;
  eo.fanout = options.fanout;
  UniqueFd ep(epoll_create1(EPOLL_CLOEXEC));
  UniqueFd timer(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!ep || !timer) return 1;
  for (int i = 0; i < options.nodes; ++i) {
    Node& n = nodes[i];
    n.fd = UniqueFd(socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    int buf = 1 << 20;
    setsockopt(n.fd.get(), SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(n.fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) return 1;
    socklen_t len = sizeof(sa);
    getsockname(n.fd.get(), reinterpret_cast<sockaddr*>(&sa), &len);
    auto r = Replica::Create(eo, rng() | 1, 0, {std::string(32, 'b')}, rng());
    if (!r.ok()) return 1;
    n.replica = std::move(*r);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = static_cast<uint64_t>(i);
    epoll_ctl(ep.get(), EPOLL_CTL_ADD, n.fd.get(), &ev);
    Say(out_fd, "PORT " + std::to_string(ntohs(sa.sin_port)));
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kTimerTag;
  epoll_ctl(ep.get(), EPOLL_CTL_ADD, timer.get(), &ev);
  ev.data.u64 = kCommandTag;
  epoll_ctl(ep.get(), EPOLL_CTL_ADD, in_fd, &ev);

  std::vector<PeerAddr> peers;
  UdpReceiver receiver(eo.max_packet_bytes);
  std::vector<Datagram> out;
  std::string command_buf;
  bool running = false;
  int64_t trial = -1, expected = 0;
  int pending = 0;  // Nodes not yet at the expected total.
  // Since the burst: time spent handling events (busy) and the longest single wakeup.
  int64_t busy_ns = 0, longest_ns = 0, burst_ns = 0;

  auto arm = [&] {
    int64_t next = INT64_MAX;
    for (const Node& n : nodes) next = std::min(next, n.next_tick);
    itimerspec its{};
    its.it_value.tv_sec = next / 1'000'000'000;
    its.it_value.tv_nsec = next % 1'000'000'000;
    timerfd_settime(timer.get(), TFD_TIMER_ABSTIME, &its, nullptr);
  };
  auto check = [&](Node& n, int64_t now) {
    if (n.converged) return;
    auto v = n.replica->store().Get(kCounter, 0);
    if (!v || v->value != expected) return;
    n.converged = true;
    if (--pending == 0) {
      uint64_t rounds = 0;
      for (const Node& m : nodes) {
        rounds = std::max(rounds, m.replica->stats().rounds - m.rounds_at_burst);
      }
      Say(out_fd, "DONE " + std::to_string(trial) + " " + std::to_string(now) + " " +
                      std::to_string(rounds) + " " + std::to_string(busy_ns) + " " +
                      std::to_string(longest_ns));
    }
  };
  auto handle = [&](const std::string& line) -> bool {
    std::istringstream in(line);
    std::string cmd;
    in >> cmd;
    if (cmd == "PEER") {
      std::string a;
      in >> a;
      auto p = PeerAddr::Parse(a);
      if (p.ok()) peers.push_back(*p);
    } else if (cmd == "GO") {
      int64_t now = Now();
      // Random phases on a 1 ms grid: one timer wakeup serves every node of a phase (the
      // harness's own cost, not the engine's, stays small).
      const int64_t grid = std::min<int64_t>(1'000'000, options.interval_ns);
      const int64_t phases = std::max<int64_t>(1, options.interval_ns / grid);
      for (Node& n : nodes) {
        n.replica->SetPeers(peers);
        n.next_tick = now + grid * std::uniform_int_distribution<int64_t>(0, phases - 1)(rng);
      }
      running = true;
      arm();
    } else if (cmd == "BURST") {
      int64_t increments = 0;
      in >> trial >> increments >> expected;
      int64_t now = Now();
      busy_ns = longest_ns = 0;
      burst_ns = now;
      pending = static_cast<int>(nodes.size());
      for (Node& n : nodes) {
        n.converged = false;
        n.rounds_at_burst = n.replica->stats().rounds;
        Replica& r = *n.replica;
        for (int64_t k = 0; k < increments; ++k) {
          const EntryValue* cur = r.store().Find(r.self(), kCounter);
          EntryValue v = cur ? *cur : EntryValue{};
          v.p += 1;
          v.version = r.own_version() + 1;
          (void)r.PublishOwn({WireEntry{kCounter, v}}, now);
        }
      }
      for (Node& n : nodes) check(n, now);
    } else if (cmd == "STATS") {
      uint64_t bytes = 0, packets = 0, rounds = 0, rejected = 0, ae = 0;
      for (const Node& n : nodes) {
        const EngineStats& s = n.replica->stats();
        bytes += s.bytes_out;
        packets += s.packets_out;
        rounds += s.rounds;
        rejected +=
            s.rejected_auth + s.rejected_malformed + s.rejected_replay + s.rejected_oversized;
        ae += s.anti_entropy;
      }
      Say(out_fd, "STATS " + std::to_string(bytes) + " " + std::to_string(packets) + " " +
                      std::to_string(rounds) + " " + std::to_string(rejected) + " " +
                      std::to_string(ae));
    } else if (cmd == "QUIT") {
      return false;
    }
    return true;
  };

  epoll_event events[64];
  for (;;) {
    int n = epoll_wait(ep.get(), events, 64, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    const int64_t woke = Now();
    for (int e = 0; e < n; ++e) {
      uint64_t tag = events[e].data.u64;
      if (tag == kCommandTag) {
        char buf[4096];
        ssize_t got = read(in_fd, buf, sizeof(buf));
        if (got <= 0) return 0;
        command_buf.append(buf, static_cast<size_t>(got));
        size_t nl;
        while ((nl = command_buf.find('\n')) != std::string::npos) {
          std::string line = command_buf.substr(0, nl);
          command_buf.erase(0, nl + 1);
          if (!handle(line)) return 0;
        }
      } else if (tag == kTimerTag) {
        uint64_t expirations;
        (void)!read(timer.get(), &expirations, sizeof(expirations));
        if (!running) continue;
        int64_t now = Now();
        for (Node& node : nodes) {
          if (node.next_tick > now) continue;
          node.replica->Tick(now, &out);
          SendDatagrams(node.fd.get(), AF_INET, out);
          out.clear();
          // Keep the phase; after a stall, skip the missed rounds rather than burst them.
          node.next_tick += options.interval_ns;
          if (node.next_tick <= now) {
            node.next_tick +=
                ((now - node.next_tick) / options.interval_ns + 1) * options.interval_ns;
          }
        }
        arm();
      } else {
        Node& node = nodes[tag];
        int64_t now = Now();
        (void)receiver.Receive(node.fd.get(), [&](const UdpReceiver::Datagram& d) {
          if (d.oversized) {
            node.replica->CountOversized(d.length);
          } else {
            node.replica->Receive(d.from, d.bytes, now, &out);
          }
        });
        SendDatagrams(node.fd.get(), AF_INET, out);
        out.clear();
        check(node, now);
      }
    }
    if (burst_ns != 0) {
      int64_t spent = Now() - woke;
      busy_ns += spent;
      longest_ns = std::max(longest_ns, spent);
    }
  }
}

}  // namespace paddock::gcounter::bench
