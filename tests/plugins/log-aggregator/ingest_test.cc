// The receiver end to end (Core with real loopback sockets, no SDK): UDP and TCP lines land
// in segments; hostile input is survived and counted.
#include "ingest.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core.h"
#include "test_util.h"

namespace paddock::logagg {
namespace {

namespace pb = paddock::logagg::v1;
using testing::TempDir;

struct Running {
  explicit Running(Settings s = Settings(), bool tcp = true) {
    UniqueFd u = testing::BoundUdp();
    udp_port = testing::PortOf(u.get());
    UniqueFd t;
    if (tcp) {
      t = testing::ListeningTcp();
      tcp_port = testing::PortOf(t.get());
    }
    s.flush_interval_ns = std::min<int64_t>(s.flush_interval_ns, 20'000'000);
    Core::Options o;
    o.data_dir = dir.path();
    o.udp = std::move(u);
    o.tcp = std::move(t);
    o.settings = s;
    auto c = Core::Start(std::move(o));
    REQUIRE(c.ok());
    core = std::move(*c);
  }
  // Waits until `n` lines were received and written.
  bool WaitWritten(uint64_t n, int seconds = 10) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      if (Get(core->stats().written) + Get(core->stats().write_dropped) >= n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    const Stats& st = core->stats();
    UNSCOPED_INFO("waited for " << n << ": received " << Get(st.received) << ", written "
                                << Get(st.written) << ", write_dropped " << Get(st.write_dropped)
                                << ", kernel_drops " << Get(st.kernel_drops) << ", ring_overflows "
                                << Get(st.ring_overflows));
    return false;
  }
  std::vector<pb::LogRecord> QueryAll(const pb::Filter& f = pb::Filter(), bool raw = false) {
    std::vector<pb::LogRecord> out;
    pb::QueryRequest req;
    *req.mutable_filter() = f;
    req.set_limit(10000);
    req.set_include_raw(raw);
    for (;;) {
      pb::QueryResponse resp;
      REQUIRE(core->service().Query(nullptr, &req, &resp).ok());
      for (auto& r : resp.records()) out.push_back(r);
      if (resp.next_page_token().empty()) break;
      req.set_page_token(resp.next_page_token());
    }
    return out;
  }

  TempDir dir;
  uint16_t udp_port = 0, tcp_port = 0;
  std::unique_ptr<Core> core;
};

}  // namespace

TEST_CASE("Every sequence-numbered UDP datagram is stored with its parsed fields", "[ingest]") {
  Running r;
  UniqueFd tx = testing::UdpSender(r.udp_port);
  constexpr int kN = 20000;
  for (int i = 0; i < kN; ++i) {
    std::string line = i % 2 == 0
                           ? "<38>Mar 15 08:01:02 bastion sshd[" + std::to_string(i) +
                                 "]: seq=" + std::to_string(i)
                           : "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog " +
                                 std::to_string(i) +
                                 " ID47 [exampleSDID@32473 iut=\"3\"] seq=" + std::to_string(i);
    REQUIRE(send(tx.get(), line.data(), line.size(), 0) == static_cast<ssize_t>(line.size()));
    if (i % 500 == 499) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  REQUIRE(r.WaitWritten(kN));
  REQUIRE(Get(r.core->stats().kernel_drops) == 0);
  auto recs = r.QueryAll();
  REQUIRE(recs.size() == kN);
  std::set<int> seen;
  for (const auto& rec : recs) {
    const std::string& m = rec.message();
    int seq = std::stoi(m.substr(m.find("seq=") + 4));
    seen.insert(seq);
    REQUIRE(rec.transport() == pb::UDP);
    if (seq % 2 == 0) {
      REQUIRE(rec.format() == pb::RFC3164);
      REQUIRE(rec.hostname() == "bastion");
      REQUIRE(rec.app_name() == "sshd");
      REQUIRE(rec.procid() == std::to_string(seq));
      REQUIRE(rec.severity() == pb::INFO);
      REQUIRE(rec.facility() == 4);
    } else {
      REQUIRE(rec.format() == pb::RFC5424);
      REQUIRE(rec.hostname() == "mymachine.example.com");
      REQUIRE(rec.app_name() == "evntslog");
      REQUIRE(rec.procid() == std::to_string(seq));
      REQUIRE(rec.msgid() == "ID47");
      REQUIRE(rec.structured_data() == "[exampleSDID@32473 iut=\"3\"]");
      REQUIRE(rec.severity() == pb::NOTICE);
    }
  }
  REQUIRE(seen.size() == kN);
  REQUIRE(Get(r.core->stats().parsed_rfc3164) == kN / 2);
  REQUIRE(Get(r.core->stats().parsed_rfc5424) == kN / 2);
}

TEST_CASE("TCP frames (octet counting and LF) are stored", "[ingest]") {
  Running r;
  UniqueFd c = testing::TcpConnect(r.tcp_port);
  std::string a = "<13>Mar 15 11:00:00 h app: multi\nline";
  std::string stream = std::to_string(a.size()) + " " + a + "<14>Mar 15 11:00:01 h app: lf\r\n";
  // Byte by byte for the first frames, then a bulk.
  for (char ch : stream) REQUIRE(testing::WriteAll(c.get(), std::string(1, ch)));
  std::string bulk;
  for (int i = 0; i < 5000; ++i)
    bulk += "<15>Mar 15 11:00:02 h bulk: n=" + std::to_string(i) + "\n";
  REQUIRE(testing::WriteAll(c.get(), bulk));
  REQUIRE(testing::WriteAll(c.get(), "<15>no final newline"));
  c.Reset();  // EOF: the last line still counts.
  REQUIRE(r.WaitWritten(5003));
  auto recs = r.QueryAll();
  REQUIRE(recs.size() == 5003);
  REQUIRE(recs[0].message() == "multi\nline");
  REQUIRE(recs[0].transport() == pb::TCP);
  REQUIRE(recs[1].message() == "lf");
  REQUIRE(recs[2].app_name() == "bulk");
  REQUIRE(recs.back().message() == "no final newline");
  REQUIRE(recs.back().format() == pb::RAW);
}

TEST_CASE("Hostile datagrams are stored or counted, never fatal", "[ingest][hostile]") {
  Running r;
  UniqueFd tx = testing::UdpSender(r.udp_port);
  std::vector<std::string> evil = {
      "",                                                 // Empty datagram.
      std::string(65507, 'A'),                            // Largest IPv4 UDP payload.
      std::string("<13>nul\0inside\0", 15),               // NUL bytes.
      "<13>bad utf8 \xff\xfe\xc3\x28 end",                // Invalid UTF-8.
      "<99999999999999999999>huge pri",                   // Absurd PRI.
      "<13>1 " + std::string(300, '9') + " h a p m - x",  // Absurd timestamp.
      "<13>1 2024-01-01T00:00:00Z " + std::string(255, 'h') + " " + std::string(48, 'a') + " " +
          std::string(128, 'p') + " " + std::string(32, 'm') + " - at the limits",
      "<13>1 - - - - - [unterminated sd",
  };
  for (const std::string& e : evil) {
    REQUIRE(send(tx.get(), e.data(), e.size(), 0) == static_cast<ssize_t>(e.size()));
  }
  REQUIRE(r.WaitWritten(evil.size()));
  auto recs = r.QueryAll(pb::Filter(), true);
  REQUIRE(recs.size() == evil.size());
  for (size_t i = 0; i < evil.size(); ++i) REQUIRE(recs[i].raw() == evil[i]);
  REQUIRE(recs[1].message().size() == 65507);
  REQUIRE(recs[2].invalid_utf8());
  REQUIRE(recs[3].invalid_utf8());
  REQUIRE(recs[4].format() == pb::RAW);
  REQUIRE_FALSE(recs[4].has_pri());
  REQUIRE(recs[6].format() == pb::RFC5424);
  REQUIRE(recs[6].hostname().size() == 255);
  REQUIRE(recs[7].format() == pb::RAW);
}

TEST_CASE("Lines above max_message_bytes are cut and flagged", "[ingest][hostile]") {
  Settings s;
  s.max_message_bytes = 1000;
  Running r(s);
  UniqueFd tx = testing::UdpSender(r.udp_port);
  std::string big(5000, 'b');
  REQUIRE(send(tx.get(), big.data(), big.size(), 0) == 5000);
  UniqueFd c = testing::TcpConnect(r.tcp_port);
  REQUIRE(testing::WriteAll(c.get(), std::string(3000, 'c') + "\n<13>after\n"));
  REQUIRE(r.WaitWritten(3));
  auto recs = r.QueryAll(pb::Filter(), true);
  REQUIRE(recs.size() == 3);
  for (int i = 0; i < 2; ++i) {
    REQUIRE(recs[static_cast<size_t>(i)].truncated());
    REQUIRE(recs[static_cast<size_t>(i)].raw().size() == 1000);
  }
  REQUIRE(recs[2].raw() == "<13>after");
  REQUIRE(Get(r.core->stats().truncated) == 2);
}

TEST_CASE("A TCP sender declaring a 2 GB frame is cut off; others are unaffected",
          "[ingest][hostile]") {
  Running r;
  UniqueFd evil = testing::TcpConnect(r.tcp_port);
  UniqueFd good = testing::TcpConnect(r.tcp_port);
  REQUIRE(testing::WriteAll(evil.get(), "2147483648 " + std::string(1000, 'x')));
  REQUIRE(testing::WriteAll(good.get(), "<13>good\n"));
  REQUIRE(r.WaitWritten(1));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (Get(r.core->stats().tcp_framing_errors) == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(Get(r.core->stats().tcp_framing_errors) == 1);
  char b;
  REQUIRE(recv(evil.get(), &b, 1, 0) <= 0);  // Closed by the plugin.
}

TEST_CASE("A sender stalling mid-frame holds nothing up and is closed when idle",
          "[ingest][hostile]") {
  Settings s;
  s.tcp_idle_timeout_ns = 1'500'000'000;
  Running r(s);
  UniqueFd stall = testing::TcpConnect(r.tcp_port);
  REQUIRE(testing::WriteAll(stall.get(), "60000 " + std::string(30000, 's')));
  UniqueFd good = testing::TcpConnect(r.tcp_port);
  REQUIRE(testing::WriteAll(good.get(), "<13>still served\n"));
  REQUIRE(r.WaitWritten(1));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(6);
  while (Get(r.core->stats().tcp_idle_closed) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(Get(r.core->stats().tcp_idle_closed) >= 1);
  REQUIRE(Get(r.core->stats().written) == 1);  // The partial frame was never a line.
}

TEST_CASE("Connections beyond the limit shed the idlest; an active sender gets through",
          "[ingest][hostile]") {
  Settings s;
  s.max_tcp_connections = 20;
  Running r(s);
  std::vector<UniqueFd> idle;
  for (int i = 0; i < 300; ++i) idle.push_back(testing::TcpConnect(r.tcp_port));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (Get(r.core->stats().tcp_accepted) < 300 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(Get(r.core->stats().tcp_accepted) == 300);
  REQUIRE(r.core->stats().tcp_connections.load() <= 20);
  REQUIRE(Get(r.core->stats().tcp_shed) >= 280);
  UniqueFd sender = testing::TcpConnect(r.tcp_port);
  REQUIRE(testing::WriteAll(sender.get(), "<13>through\n"));
  REQUIRE(r.WaitWritten(1));
}

TEST_CASE("A burst into a small ring: every datagram is stored or counted as a kernel drop",
          "[ingest]") {
  Settings s;
  s.ring_slots = 256;
  s.recv_batch = 64;
  Running r(s, false);
  UniqueFd tx = testing::UdpSender(r.udp_port);
  constexpr int kN = 100000;
  std::string line(200, 'x');
  line.replace(0, 4, "<13>");
  for (int i = 0; i < kN; ++i) (void)send(tx.get(), line.data(), line.size(), 0);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (;;) {
    // kernel_drops is refreshed at least once a second by the receiver.
    if (Get(r.core->stats().written) + Get(r.core->stats().kernel_drops) >= kN ||
        std::chrono::steady_clock::now() > deadline) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(Get(r.core->stats().written) + Get(r.core->stats().kernel_drops) == kN);
}

TEST_CASE("After StopIntake new datagrams stay in the socket for the next generation", "[ingest]") {
  TempDir dir;
  UniqueFd u = testing::BoundUdp();
  uint16_t port = testing::PortOf(u.get());
  UniqueFd shared(dup(u.get()));  // The host keeps its own copy.
  Core::Options o;
  o.data_dir = dir.path();
  o.udp = std::move(u);
  Settings s;
  s.flush_interval_ns = 10'000'000;
  o.settings = s;
  auto core = *Core::Start(std::move(o));
  UniqueFd tx = testing::UdpSender(port);
  REQUIRE(send(tx.get(), "<13>before", 10, 0) == 10);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (Get(core->stats().received) < 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  core->Drain();
  REQUIRE(Get(core->stats().written) == 1);
  REQUIRE(send(tx.get(), "<13>after", 9, 0) == 9);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  REQUIRE(Get(core->stats().received) == 1);
  char buf[64];
  REQUIRE(recv(shared.get(), buf, sizeof(buf), MSG_DONTWAIT) == 9);  // Still queued.
  core->Shutdown();
}

}  // namespace paddock::logagg
