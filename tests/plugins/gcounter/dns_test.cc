#include "dns.h"

#include <catch2/catch.hpp>

namespace gc = paddock::gcounter;

namespace {

void U16(std::string* s, uint16_t v) {
  s->push_back(static_cast<char>(v >> 8));
  s->push_back(static_cast<char>(v));
}

// A response to `query` (as EncodeDnsQuery made it) with the given answer records.
struct Rr {
  std::string owner_ptr;  // Encoded owner name (usually "\xc0\x0c": the question name).
  uint16_t type;
  std::string rdata;
};
std::string Respond(const std::string& query, const std::vector<Rr>& answers, int rcode = 0) {
  std::string r = query;
  r[2] = static_cast<char>(0x81);  // QR, RD.
  r[3] = static_cast<char>(0x80 | rcode);
  r[6] = 0;
  r[7] = static_cast<char>(answers.size());
  for (const Rr& a : answers) {
    r += a.owner_ptr;
    U16(&r, a.type);
    U16(&r, 1);
    r += std::string("\0\0\0\x1e", 4);  // TTL 30.
    U16(&r, static_cast<uint16_t>(a.rdata.size()));
    r += a.rdata;
  }
  return r;
}

}  // namespace

TEST_CASE("DNS names are validated", "[gcounter][dns]") {
  CHECK(gc::ValidateDnsName("gcounter.default.svc.cluster.local").ok());
  CHECK(gc::ValidateDnsName("a.b.").ok());
  CHECK_FALSE(gc::ValidateDnsName("").ok());
  CHECK_FALSE(gc::ValidateDnsName("a..b").ok());
  CHECK_FALSE(gc::ValidateDnsName(std::string(64, 'a')).ok());
  CHECK_FALSE(gc::ValidateDnsName("bad name").ok());
}

TEST_CASE("A answers, including through a CNAME, become peers", "[gcounter][dns]") {
  auto q = gc::EncodeDnsQuery(0x1234, "peers.test", gc::kDnsTypeA);
  REQUIRE(q.ok());
  CHECK(q->size() == 12 + 12 + 4);
  // peers.test CNAME real.test; real.test A 10.77.0.2, 10.77.0.3; an unrelated A ignored.
  std::string cname_rdata = std::string("\x04real\x04test\x00", 11);
  size_t cname_at = q->size() + 12;  // Where the CNAME's rdata starts in the response.
  std::string ptr = {static_cast<char>(0xc0), static_cast<char>(cname_at)};
  std::string resp =
      Respond(*q, {{"\xc0\x0c", 5, cname_rdata},
                   {ptr, 1, std::string("\x0a\x4d\x00\x02", 4)},
                   {ptr, 1, std::string("\x0a\x4d\x00\x03", 4)},
                   {std::string("\x05other\x00", 7), 1, std::string("\x01\x02\x03\x04", 4)}});
  auto peers = gc::ParseDnsResponse(resp, 0x1234, "peers.test", gc::kDnsTypeA, 7946);
  REQUIRE(peers.ok());
  REQUIRE(peers->size() == 2);
  CHECK((*peers)[0].ToString() == "10.77.0.2:7946");
  CHECK((*peers)[1].ToString() == "10.77.0.3:7946");
}

TEST_CASE("responses that do not answer our query are refused", "[gcounter][dns]") {
  auto q = gc::EncodeDnsQuery(7, "peers.test", gc::kDnsTypeA);
  REQUIRE(q.ok());
  std::string good = Respond(*q, {{"\xc0\x0c", 1, std::string("\x0a\x00\x00\x01", 4)}});
  CHECK(gc::ParseDnsResponse(good, 7, "peers.test", gc::kDnsTypeA, 1).ok());
  CHECK_FALSE(gc::ParseDnsResponse(good, 8, "peers.test", gc::kDnsTypeA, 1).ok());
  CHECK_FALSE(gc::ParseDnsResponse(good, 7, "other.test", gc::kDnsTypeA, 1).ok());
  CHECK_FALSE(gc::ParseDnsResponse(*q, 7, "peers.test", gc::kDnsTypeA, 1).ok());  // A query.
  auto nx = gc::ParseDnsResponse(Respond(*q, {}, 3), 7, "peers.test", gc::kDnsTypeA, 1);
  CHECK(nx.status().code() == absl::StatusCode::kNotFound);
  // A compression pointer loop and truncations never crash.
  std::string loop = Respond(*q, {{"\xc0\x0c", 1, std::string("\x0a\x00\x00\x01", 4)}});
  loop[12] = static_cast<char>(0xc0);
  loop[13] = 12;
  CHECK_FALSE(gc::ParseDnsResponse(loop, 7, "peers.test", gc::kDnsTypeA, 1).ok());
  for (size_t cut = 0; cut < good.size(); ++cut) {
    (void)gc::ParseDnsResponse(good.substr(0, cut), 7, "peers.test", gc::kDnsTypeA, 1);
  }
}

TEST_CASE("DnsPeers queries periodically and publishes changed answers", "[gcounter][dns]") {
  gc::DnsPeers::Options o;
  o.name = "peers.test";
  o.port = 7946;
  o.resolver = *gc::PeerAddr::Parse("10.77.0.53:53");
  o.interval_ns = 1000;
  o.timeout_ns = 500;
  gc::DnsPeers dns(o, 1);
  std::vector<gc::Datagram> out;
  dns.Poll(0, &out);
  REQUIRE(out.size() == 2);  // A and AAAA.
  auto id = [](const std::string& q) {
    return static_cast<uint16_t>((static_cast<uint8_t>(q[0]) << 8) | static_cast<uint8_t>(q[1]));
  };
  std::string a = Respond(out[0].bytes, {{"\xc0\x0c", 1, std::string("\x0a\x4d\x00\x07", 4)}});
  std::string aaaa = Respond(out[1].bytes, {});
  CHECK_FALSE(dns.Handle(*gc::PeerAddr::Parse("10.77.0.9:53"), a, 1));  // Not the resolver.
  CHECK(dns.Handle(o.resolver, a, 1));
  CHECK_FALSE(dns.TakeUpdate());  // Waiting for AAAA.
  CHECK(dns.Handle(o.resolver, aaaa, 2));
  REQUIRE(dns.TakeUpdate());
  REQUIRE(dns.peers().size() == 1);
  CHECK(dns.peers()[0].ToString() == "10.77.0.7:7946");
  CHECK(id(out[0].bytes) != 0);
  out.clear();
  dns.Poll(500, &out);
  CHECK(out.empty());  // Not due yet.
  dns.Poll(1000, &out);
  REQUIRE(out.size() == 2);
  out.clear();
  dns.Poll(1600, &out);  // Timed out: counted; the old peers stay.
  CHECK(dns.failures() == 1);
  CHECK(dns.peers().size() == 1);
}
