// Test support for gcounter's integration tests: real paddockd hosts, each in its own
// network namespace, joined by veth pairs to a bridge in another namespace; nftables rules
// inside the node namespaces for loss and partitions; an AF_PACKET tap in the bridge
// namespace that duplicates, delays (reorders) and captures gossip frames; a tiny DNS
// server. Everything lives in namespaces named gct<pid>-*, created here and deleted in the
// destructor (deleting a namespace takes its veths and nft tables with it); namespaces left
// by a test process that died are deleted by the next one. The machine's own interfaces
// are never touched. Header-only: the integration CMake globs *_test.cc only.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "integration/harness.h"

namespace paddock::testing::gcounter {

inline constexpr int kGossipPort = 7946;
// 16 bytes as hex: the cluster key every test node gets.
inline const char kClusterKey[] = "6763746573742d636c75737465722d6b";

inline CmdResult Sh(const std::string& cmd) { return Run({"/bin/sh", "-c", cmd}, "", 30); }

inline int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Runs fn on a thread that first enters network namespace `ns`, and waits for it.
inline void InNetns(const std::string& ns, const std::function<void()>& fn) {
  std::thread t([&] {
    int fd = open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) std::abort();
    close(fd);
    fn();
  });
  t.join();
}

// A UDP socket bound inside namespace `ns` (the descriptor keeps that namespace).
inline int UdpSocketIn(const std::string& ns, const std::string& ip) {
  int fd = -1;
  InNetns(ns, [&] {
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    inet_pton(AF_INET, ip.c_str(), &sa.sin_addr);
    if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
      close(fd);
      fd = -1;
    }
  });
  return fd;
}

inline void SendUdp(int fd, const std::string& ip, int port, const std::string& bytes) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip.c_str(), &sa.sin_addr);
  sendto(fd, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
}

// n node namespaces (10.77.0.1 .. 10.77.0.n on eth0) on one bridge namespace.
class NetnsCluster {
 public:
  explicit NetnsCluster(int n)
      : prefix_("gct" + std::to_string(getpid()) + "-" + std::to_string(counter_++)) {
    RemoveStale();
    bridge_ = prefix_ + "-b";
    created_.push_back(bridge_);
    Must("ip netns add " + bridge_);
    Must("ip -n " + bridge_ + " link set lo up");
    Must("ip -n " + bridge_ + " link add br0 type bridge");
    Must("ip -n " + bridge_ + " link set br0 up");
    for (int i = 0; i < n; ++i) {
      std::string ns = prefix_ + "-n" + std::to_string(i);
      nodes_.push_back(ns);
      created_.push_back(ns);
      std::string port = "v" + std::to_string(i);
      Must("ip netns add " + ns);
      Must("ip -n " + bridge_ + " link add " + port + " type veth peer name eth0 netns " + ns);
      Must("ip -n " + bridge_ + " link set " + port + " master br0 up");
      Must("ip -n " + ns + " addr add " + Ip(i) + "/24 dev eth0");
      Must("ip -n " + ns + " link set eth0 up");
      Must("ip -n " + ns + " link set lo up");
      // Chains the tests fill: loss (input) and partition (input and output).
      Must("ip netns exec " + ns +
           " nft -f - <<'EOF'\n"
           "table inet gctest {\n"
           "  chain loss {}\n"
           "  chain part_in {}\n"
           "  chain part_out {}\n"
           "  chain input { type filter hook input priority 0; policy accept; jump loss; jump "
           "part_in; }\n"
           "  chain output { type filter hook output priority 0; policy accept; jump part_out; }\n"
           "}\nEOF");
    }
  }
  ~NetnsCluster() { Cleanup(); }

  int size() const { return static_cast<int>(nodes_.size()); }
  const std::string& ns(int i) const { return nodes_[i]; }
  const std::string& bridge() const { return bridge_; }
  static std::string Ip(int i) { return "10.77.0." + std::to_string(i + 1); }

  // Drops `percent`% of incoming gossip datagrams in node i (nftables numgen).
  void SetLoss(int i, int percent) {
    Must("ip netns exec " + ns(i) + " nft flush chain inet gctest loss");
    if (percent > 0) {
      Must("ip netns exec " + ns(i) + " nft add rule inet gctest loss udp dport " +
           std::to_string(kGossipPort) + " numgen random mod 100 '<' " + std::to_string(percent) +
           " drop");
    }
  }
  // No traffic between the two groups (both directions, dropped in every node).
  void Partition(const std::vector<int>& a, const std::vector<int>& b) {
    auto set = [](const std::vector<int>& g) {
      std::string s = "{ ";
      for (size_t k = 0; k < g.size(); ++k) s += (k ? ", " : "") + Ip(g[k]);
      return s + " }";
    };
    for (int i = 0; i < size(); ++i) {
      bool in_a = std::find(a.begin(), a.end(), i) != a.end();
      const std::vector<int>& other = in_a ? b : a;
      Must("ip netns exec " + ns(i) + " nft add rule inet gctest part_in ip saddr " + set(other) +
           " drop");
      Must("ip netns exec " + ns(i) + " nft add rule inet gctest part_out ip daddr " + set(other) +
           " drop");
    }
  }
  void Heal() {
    for (int i = 0; i < size(); ++i) {
      Must("ip netns exec " + ns(i) + " nft flush chain inet gctest part_in");
      Must("ip netns exec " + ns(i) + " nft flush chain inet gctest part_out");
    }
  }

 private:
  // A failed step cleans up first: FAIL throws out of the constructor, and a destructor
  // does not run for an object whose constructor threw.
  void Must(const std::string& cmd) {
    CmdResult r = Sh(cmd);
    if (r.exit_code != 0) {
      Cleanup();
      FAIL("command failed: " << cmd << "\n" << r.err);
    }
  }
  void Cleanup() {
    for (const std::string& ns : created_) Sh("ip netns del " + ns + " 2>/dev/null");
    created_.clear();
  }
  // Namespaces of earlier test processes that died without cleaning up.
  static void RemoveStale() {
    CmdResult list = Sh("ip netns list");
    std::istringstream in(list.out);
    std::string name;
    while (in >> name) {
      if (name.rfind("gct", 0) != 0) continue;
      size_t dash = name.find('-');
      if (dash == std::string::npos) continue;
      pid_t pid = std::atoi(name.substr(3, dash - 3).c_str());
      if (pid > 0 && pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH) {
        Sh("ip netns del " + name + " 2>/dev/null");
      }
    }
  }

  static inline std::atomic<int> counter_{0};
  std::string prefix_;
  std::string bridge_;
  std::vector<std::string> nodes_;
  std::vector<std::string> created_;  // Namespaces to delete.
};

// An AF_PACKET tap on the bridge ports: sees every gossip frame crossing the bridge once.
// It can send a copy of a fraction of them again after a random delay (a duplicate that
// arrives late: reordering), and it can keep frames for a later replay.
class ChaosTap {
 public:
  ChaosTap(const NetnsCluster& cluster, double dup_fraction, int max_delay_ms)
      : dup_(dup_fraction), max_delay_ms_(max_delay_ms) {
    std::mutex m;
    std::condition_variable cv;
    bool ready = false;
    thread_ = std::thread([&, ns = cluster.bridge(), n = cluster.size()] {
      int fd = open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) std::abort();
      close(fd);
      // ETH_P_ALL: frames on bridge ports are consumed by the bridge before protocol taps.
      sock_ = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
      for (int i = 0; i < n; ++i) {
        port_index_[NetnsCluster::Ip(i)] = if_nametoindex(("v" + std::to_string(i)).c_str());
      }
      bridge_index_ = if_nametoindex("br0");
      {
        std::lock_guard<std::mutex> l(m);
        ready = true;
      }
      cv.notify_one();
      Loop();
    });
    std::unique_lock<std::mutex> l(m);
    cv.wait(l, [&] { return ready; });
  }
  ~ChaosTap() {
    stop_ = true;
    thread_.join();
    if (sock_ >= 0) close(sock_);
  }
  bool ok() const { return sock_ >= 0; }
  void set_dup(double fraction) { dup_ = fraction; }
  // Starts keeping copies of gossip frames from `src_ip` to `dst_ip` (at most `max`).
  void Capture(const std::string& src_ip, const std::string& dst_ip, size_t max) {
    std::lock_guard<std::mutex> l(mu_);
    cap_src_ = src_ip;
    cap_dst_ = dst_ip;
    cap_max_ = max;
  }
  std::vector<std::string> Captured() {
    std::lock_guard<std::mutex> l(mu_);
    return captured_;
  }
  // Sends a frame (as captured) to its destination port now.
  void Inject(const std::string& frame) {
    std::lock_guard<std::mutex> l(mu_);
    queue_.push_back({0, frame});
  }
  uint64_t duplicated() const { return duplicated_; }
  uint64_t injected() const { return injected_; }
  uint64_t seen() const { return seen_; }

 private:
  struct Later {
    int64_t at_ms;
    std::string frame;
  };
  static bool Gossip(const std::string& f, std::string* src, std::string* dst) {
    if (f.size() < 14 + 20 + 8) return false;
    const unsigned char* ip = reinterpret_cast<const unsigned char*>(f.data()) + 14;
    if ((ip[0] >> 4) != 4 || ip[9] != IPPROTO_UDP) return false;
    size_t ihl = (ip[0] & 0xf) * 4;
    if (f.size() < 14 + ihl + 8) return false;
    int dport = (ip[ihl + 2] << 8) | ip[ihl + 3];
    if (dport != kGossipPort) return false;
    char buf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, ip + 12, buf, sizeof(buf));
    *src = buf;
    inet_ntop(AF_INET, ip + 16, buf, sizeof(buf));
    *dst = buf;
    return true;
  }
  void Send(std::string frame) {
    std::string src, dst;
    if (!Gossip(frame, &src, &dst)) return;
    // veth hands frames over with checksum offload (CHECKSUM_PARTIAL): the captured UDP
    // checksum is only the pseudo-header part and would fail verification on re-entry.
    // IPv4 allows "no checksum" (0).
    size_t ihl = (static_cast<unsigned char>(frame[14]) & 0xf) * 4;
    frame[14 + ihl + 6] = 0;
    frame[14 + ihl + 7] = 0;
    auto it = port_index_.find(dst);
    if (it == port_index_.end()) return;
    sockaddr_ll to{};
    to.sll_family = AF_PACKET;
    to.sll_ifindex = static_cast<int>(it->second);
    to.sll_halen = ETH_ALEN;
    std::memcpy(to.sll_addr, frame.data(), ETH_ALEN);
    if (sendto(sock_, frame.data(), frame.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to)) >
        0) {
      ++injected_;
    }
  }
  void Loop() {
    std::mt19937_64 rng(getpid());
    std::uniform_real_distribution<double> u(0, 1);
    char buf[70000];
    while (!stop_) {
      pollfd p{sock_, POLLIN, 0};
      poll(&p, 1, 2);
      if (p.revents & POLLIN) {
        sockaddr_ll from{};
        socklen_t len = sizeof(from);
        ssize_t n = recvfrom(sock_, buf, sizeof(buf), MSG_DONTWAIT,
                             reinterpret_cast<sockaddr*>(&from), &len);
        // Frames entering the bridge from a node's port; not our own or outgoing copies.
        if (n > 0 && from.sll_pkttype != PACKET_OUTGOING &&
            static_cast<unsigned>(from.sll_ifindex) != bridge_index_) {
          std::string frame(buf, static_cast<size_t>(n)), src, dst;
          if (Gossip(frame, &src, &dst)) {
            ++seen_;
            std::lock_guard<std::mutex> l(mu_);
            if (src == cap_src_ && dst == cap_dst_ && captured_.size() < cap_max_) {
              captured_.push_back(frame);
            }
            if (u(rng) < dup_) {
              int64_t delay = std::uniform_int_distribution<int>(1, max_delay_ms_)(rng);
              queue_.push_back({NowMs() + delay, frame});
              ++duplicated_;
            }
          }
        }
      }
      std::vector<std::string> due;
      {
        std::lock_guard<std::mutex> l(mu_);
        int64_t now = NowMs();
        for (auto it = queue_.begin(); it != queue_.end();) {
          if (it->at_ms <= now) {
            due.push_back(std::move(it->frame));
            it = queue_.erase(it);
          } else {
            ++it;
          }
        }
      }
      for (const std::string& f : due) Send(f);
    }
  }

  std::atomic<double> dup_;
  int max_delay_ms_;
  std::atomic<bool> stop_{false};
  int sock_ = -1;
  std::map<std::string, unsigned> port_index_;
  unsigned bridge_index_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::deque<Later> queue_;
  std::string cap_src_, cap_dst_;
  size_t cap_max_ = 0;
  std::vector<std::string> captured_;
  std::atomic<uint64_t> duplicated_{0}, seen_{0}, injected_{0};
};

// Counter values and stats read through paddockctl.
struct GcStats {
  std::map<std::string, double> fields;  // StatsReply fields by JSON name.
  double operator[](const std::string& k) const {
    auto it = fields.find(k);
    return it == fields.end() ? 0 : it->second;
  }
};

// One paddockd with the gcounter plugin per namespace of a NetnsCluster.
class GcCluster {
 public:
  // `extra_config(i)` adds fields to node i's plugin config (JSON members, no braces).
  GcCluster(NetnsCluster& net, std::function<std::string(int)> extra_config = nullptr)
      : net_(net), extra_(std::move(extra_config)) {
    for (int i = 0; i < net.size(); ++i) {
      hosts_.push_back(std::make_unique<Host>(HostConfig(i)));
      hosts_.back()->AddPlugin(BundledPlugin("gcounter"), "gcounter");
      hosts_.back()->SetNetns(net.ns(i));
    }
    std::vector<std::thread> starts;
    std::vector<int> ok(hosts_.size(), 0);
    for (size_t i = 0; i < hosts_.size(); ++i) {
      starts.emplace_back([&, i] {
        ok[i] = hosts_[i]->Start() &&
                hosts_[i]->WaitForState("gcounter", paddock::v1::STATE_SERVING, 20);
      });
    }
    for (auto& t : starts) t.join();
    for (size_t i = 0; i < hosts_.size(); ++i) {
      INFO("host " << i << " log:\n" << hosts_[i]->Log());
      REQUIRE(ok[i]);
    }
  }

  Host& host(int i) { return *hosts_[i]; }
  int size() const { return static_cast<int>(hosts_.size()); }

  std::string HostConfig(int i) const {
    std::string peers;
    for (int j = 0; j < net_.size(); ++j) {
      peers += (j ? ", " : "") + std::string("\"") + NetnsCluster::Ip(j) + ":" +
               std::to_string(kGossipPort) + "\"";
    }
    std::string extra = extra_ ? extra_(i) : "";
    return "\"plugins\": {\"gcounter\": {\"grant\": {\"sockets\": true, \"data_dir\": true}, "
           "\"sockets\": {\"gossip\": \"" +
           NetnsCluster::Ip(i) + ":" + std::to_string(kGossipPort) +
           "\"}, \"config\": {\"cluster_keys\": [\"" + kClusterKey + "\"], " +
           (extra.empty() ? "\"peers\": [" + peers + "]" : extra) + "}}}";
  }

  // Increment on node i; true when acknowledged.
  bool Increment(int i, const std::string& name, int64_t delta, const char* kind = nullptr) {
    std::string body = "{\"name\":\"" + name + "\",\"delta\":" + std::to_string(delta) +
                       (kind ? std::string(",\"kind\":\"") + kind + "\"" : "") + "}";
    return hosts_[i]->Ctl({"call", "gcounter", "Increment", body}).exit_code == 0;
  }
  // Value of `name` on node i; nullopt if unknown or unreachable.
  std::optional<int64_t> Get(int i, const std::string& name) {
    CmdResult r = hosts_[i]->Ctl({"call", "gcounter", "Get", "{\"name\":\"" + name + "\"}"});
    if (r.exit_code != 0) return std::nullopt;
    google::protobuf::Struct s;
    if (!google::protobuf::util::JsonStringToMessage(r.out, &s).ok()) return std::nullopt;
    const auto& counter = s.fields().at("counter").struct_value().fields();
    auto it = counter.find("value");
    if (it == counter.end()) return 0;  // proto3 JSON omits zero.
    return std::stoll(it->second.string_value());
  }
  GcStats Stats(int i) {
    GcStats st;
    CmdResult r = hosts_[i]->Ctl({"call", "gcounter", "Stats", "{}"});
    google::protobuf::Struct s;
    if (r.exit_code != 0 || !google::protobuf::util::JsonStringToMessage(r.out, &s).ok()) {
      return st;
    }
    for (const auto& [k, v] : s.fields()) {
      if (v.has_number_value()) st.fields[k] = v.number_value();
      if (v.has_string_value()) {
        char* end = nullptr;
        double d = std::strtod(v.string_value().c_str(), &end);
        if (end != v.string_value().c_str() && *end == 0) st.fields[k] = d;
      }
    }
    return st;
  }
  // Waits until every node in `nodes` (all if empty) reports `expected` for `name`.
  bool WaitForValue(const std::string& name, int64_t expected, double timeout_s,
                    std::vector<int> nodes = {}) {
    if (nodes.empty()) {
      for (int i = 0; i < size(); ++i) nodes.push_back(i);
    }
    return WaitFor(
        [&] {
          for (int i : nodes) {
            if (Get(i, name) != expected) return false;
          }
          return true;
        },
        timeout_s);
  }
  std::string Values(const std::string& name) {
    std::string s;
    for (int i = 0; i < size(); ++i) {
      auto v = Get(i, name);
      s += " n" + std::to_string(i) + "=" + (v ? std::to_string(*v) : "none");
    }
    return s;
  }

 private:
  NetnsCluster& net_;
  std::function<std::string(int)> extra_;
  std::vector<std::unique_ptr<Host>> hosts_;
};

// Skips the test (with a reason) unless it can build namespaces: root and nft present.
inline bool NetnsAvailable() {
  if (geteuid() != 0) {
    WARN("skipped: gcounter cluster tests need root (network namespaces, nftables)");
    return false;
  }
  if (Sh("command -v nft && command -v ip").exit_code != 0) {
    WARN("skipped: nft or ip not installed");
    return false;
  }
  return true;
}

}  // namespace paddock::testing::gcounter
