// gcounter under hostile gossip input, against real hosts in their own namespaces: a
// well-formed packet signed with the wrong key, authentic packets replayed from the wire,
// an authentic packet tampered with, and a 64 KiB junk datagram change no counter and are
// counted. Peers found through DNS (our own tiny server on the bridge) also converge.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <catch2/catch.hpp>
#include <random>
#include <thread>

#include "integration/gcounter_cluster.h"

using namespace paddock::testing::gcounter;

namespace {

void Le(std::string* s, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) s->push_back(static_cast<char>(v >> (8 * i)));
}
void Varint(std::string* s, uint64_t v) {
  while (v >= 0x80) {
    s->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  s->push_back(static_cast<char>(v));
}

// A structurally valid GOSSIP packet (plugins/gcounter/codec.h) from replica `sender`
// claiming `p` increments of `name` by origin `origin`, tagged with HMAC-SHA256-128 under
// `key`.
std::string GossipPacket(uint64_t sender, uint64_t seq, uint64_t origin, const std::string& name,
                         uint64_t p, const std::string& key) {
  std::string b = "GC";
  b += static_cast<char>(1);  // Wire version.
  b += static_cast<char>(1);  // GOSSIP.
  b += std::string(4, '\0');  // Flags, reserved.
  Le(&b, sender, 8);
  Le(&b, seq, 8);
  Le(&b, 0x1234, 8);  // Root digest.
  Varint(&b, 1);      // One name.
  Varint(&b, name.size());
  b += name;
  Varint(&b, 1);  // One item.
  Le(&b, origin, 8);
  Varint(&b, 0);              // from
  Varint(&b, 1);              // to
  Varint(&b, 0);              // chunk
  Varint(&b, 1);              // chunks
  Varint(&b, 1);              // One entry.
  Varint(&b, 0);              // Name index.
  b += static_cast<char>(0);  // G-Counter.
  Varint(&b, p);
  Varint(&b, 0);
  Varint(&b, 1);  // Version.
  unsigned char tag[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(b.data()), b.size(), tag, &len);
  b.append(reinterpret_cast<const char*>(tag), 16);
  return b;
}

std::string Unhex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

}  // namespace

TEST_CASE("forged, replayed, tampered and 64 KiB junk packets change nothing and are counted",
          "[gcounter][hostile]") {
  if (!NetnsAvailable()) return;
  NetnsCluster net(5);
  GcCluster c(net);
  ChaosTap tap(net, 0, 1);
  REQUIRE(tap.ok());
  for (int i = 0; i < c.size(); ++i) REQUIRE(c.Increment(i, "hits", i + 1));
  REQUIRE(c.WaitForValue("hits", 15, 20));

  // Capture authentic gossip from node 0 to node 1.
  tap.Capture(NetnsCluster::Ip(0), NetnsCluster::Ip(1), 10);
  REQUIRE(paddock::testing::WaitFor([&] { return tap.Captured().size() >= 10; }, 10));
  GcStats before = c.Stats(1);

  int sock = UdpSocketIn(net.ns(0), NetnsCluster::Ip(0));
  REQUIRE(sock >= 0);
  const std::string target = NetnsCluster::Ip(1);
  // 1. Forged: well formed, +1,000,000 on "hits" from a new origin, but the wrong key.
  SendUdp(sock, target, kGossipPort,
          GossipPacket(0xbad5eed, 1, 0xbad0bad0, "hits", 1000000, std::string(16, 'w')));
  // The same packet under the right key is accepted (proves the forgery was well formed),
  // but on a separate counter so "hits" stays as it is.
  SendUdp(sock, target, kGossipPort,
          GossipPacket(0x600d5eed, 1, 0x600d600d, "probe", 7, Unhex(kClusterKey)));
  // 2. Replayed: authentic frames from the wire, sent again.
  std::vector<std::string> frames = tap.Captured();
  for (const std::string& f : frames) tap.Inject(f);
  // 3. Tampered: an authentic frame with one payload byte changed.
  std::string tampered = frames.back();
  tampered[tampered.size() - 20] ^= 0x01;
  tap.Inject(tampered);
  // 4. Junk: the largest UDP datagram, random bytes.
  std::string junk(65507, '\0');
  std::mt19937 rng(7);
  for (char& ch : junk) ch = static_cast<char>(rng());
  SendUdp(sock, target, kGossipPort, junk);
  close(sock);

  REQUIRE(c.WaitForValue("probe", 7, 10, {1}));
  GcStats after;
  REQUIRE(paddock::testing::WaitFor(
      [&] {
        after = c.Stats(1);
        return after["rejectedAuth"] >= before["rejectedAuth"] + 2 &&
               after["rejectedReplay"] >= before["rejectedReplay"] + frames.size() &&
               after["rejectedOversized"] >= before["rejectedOversized"] + 1;
      },
      10));
  INFO("auth " << after["rejectedAuth"] << " replay " << after["rejectedReplay"] << " oversized "
               << after["rejectedOversized"]);
  CHECK(after["rejectedMalformed"] == before["rejectedMalformed"]);
  // Nothing changed "hits" anywhere, and the forged origin never became an entry.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  for (int i = 0; i < c.size(); ++i) {
    CHECK(c.Get(i, "hits") == 15);
    paddock::testing::CmdResult r =
        c.host(i).Ctl({"call", "gcounter", "Get", "{\"name\":\"hits\"}"});
    CHECK(r.out.find("\"replicas\":5") != std::string::npos);
  }
  // The authentic probe spread like any other update.
  REQUIRE(c.WaitForValue("probe", 7, 20));
}

namespace {

// Answers A queries for `name` with the addresses in `answer` (AAAA: no records), on
// 10.77.0.53:53 in the bridge namespace.
class DnsServer {
 public:
  DnsServer(const NetnsCluster& net, std::string name, std::vector<std::string> answer)
      : name_(std::move(name)), answer_(std::move(answer)) {
    if (Sh("ip -n " + net.bridge() + " addr add 10.77.0.53/24 dev br0").exit_code != 0) return;
    InNetns(net.bridge(), [&] {
      fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      sockaddr_in sa{};
      sa.sin_family = AF_INET;
      sa.sin_port = htons(53);
      inet_pton(AF_INET, "10.77.0.53", &sa.sin_addr);
      if (bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
        close(fd_);
        fd_ = -1;
      }
    });
    if (fd_ >= 0) thread_ = std::thread([this] { Loop(); });
  }
  ~DnsServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  void SetAnswer(std::vector<std::string> answer) {
    std::lock_guard<std::mutex> l(mu_);
    answer_ = std::move(answer);
  }
  int queries() const { return queries_; }

 private:
  void Loop() {
    char buf[512];
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) continue;
      sockaddr_in from{};
      socklen_t len = sizeof(from);
      ssize_t n = recvfrom(fd_, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n < 12) continue;
      ++queries_;
      std::string q(buf, static_cast<size_t>(n));
      // The question ends after the name (zero byte) and type + class.
      size_t end = q.find('\0', 12);
      if (end == std::string::npos || end + 5 > q.size()) continue;
      int qtype =
          (static_cast<unsigned char>(q[end + 1]) << 8) | static_cast<unsigned char>(q[end + 2]);
      std::string r = q.substr(0, end + 5);
      r[2] = static_cast<char>(0x81);
      r[3] = static_cast<char>(0x80);
      std::vector<std::string> answer;
      {
        std::lock_guard<std::mutex> l(mu_);
        if (qtype == 1) answer = answer_;
      }
      r[6] = 0;
      r[7] = static_cast<char>(answer.size());
      for (const std::string& ip : answer) {
        r += std::string("\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x05\x00\x04", 12);
        in_addr a;
        inet_pton(AF_INET, ip.c_str(), &a);
        r.append(reinterpret_cast<const char*>(&a), 4);
      }
      sendto(fd_, r.data(), r.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
    }
  }

  std::string name_;
  std::mutex mu_;
  std::vector<std::string> answer_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<int> queries_{0};
  std::thread thread_;
};

}  // namespace

TEST_CASE("peers found through DNS, re-resolved over the gossip socket, converge",
          "[gcounter][dns]") {
  if (!NetnsAvailable()) return;
  NetnsCluster net(5);
  // At first the name resolves to three nodes only; later to all five.
  DnsServer dns(net, "gcounter.test",
                {NetnsCluster::Ip(0), NetnsCluster::Ip(1), NetnsCluster::Ip(2)});
  REQUIRE(dns.ok());
  GcCluster c(net, [](int) {
    return std::string(
        "\"dns\": {\"name\": \"gcounter.test\", \"port\": 7946, "
        "\"resolver\": \"10.77.0.53:53\", \"interval_ms\": 200}");
  });
  for (int i = 0; i < 3; ++i) REQUIRE(c.Increment(i, "hits", 1));
  REQUIRE(c.WaitForValue("hits", 3, 20, {0, 1, 2}));
  dns.SetAnswer({NetnsCluster::Ip(0), NetnsCluster::Ip(1), NetnsCluster::Ip(2), NetnsCluster::Ip(3),
                 NetnsCluster::Ip(4)});
  for (int i = 3; i < 5; ++i) REQUIRE(c.Increment(i, "hits", 10));
  INFO(c.Values("hits"));
  REQUIRE(c.WaitForValue("hits", 23, 20));
  // Within a few resolution intervals every node has all five from DNS.
  GcStats s;
  CHECK(paddock::testing::WaitFor(
      [&] {
        s = c.Stats(4);
        return s["peersConfigured"] == 5;
      },
      10));
  CHECK(s["dnsAnswers"] >= 2);
  CHECK(dns.queries() > 0);
}
