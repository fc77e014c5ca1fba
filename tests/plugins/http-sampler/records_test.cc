#include "records.h"

#include <arpa/inet.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <limits>
#include <vector>

namespace {

using paddock::http_sampler::CheckRecord;
using paddock::http_sampler::Completed;
using paddock::http_sampler::DecodeRecord;
using paddock::http_sampler::Joiner;
using paddock::http_sampler::ToSample;

hs_request Request(uint64_t ts, uint16_t sport) {
  hs_request r{};
  r.kind = HS_KIND_REQUEST;
  r.method = HS_METHOD_POST;
  r.ts_ns = ts;
  r.tuple.family = 4;
  inet_pton(AF_INET, "192.0.2.1", r.tuple.saddr);
  inet_pton(AF_INET, "192.0.2.2", r.tuple.daddr);
  r.tuple.sport = sport;
  r.tuple.dport = 80;
  std::memcpy(r.path, "/p", 2);
  r.path_len = 2;
  return r;
}

hs_response Response(const hs_request& r, uint16_t status, uint64_t latency) {
  hs_response resp{};
  resp.kind = HS_KIND_RESPONSE;
  resp.status = status;
  resp.request_ts_ns = r.ts_ns;
  resp.latency_ns = latency;
  resp.tuple = r.tuple;
  return resp;
}

}  // namespace

TEST_CASE("records decode only with the right size, kind and bounds", "[records]") {
  hs_request r = Request(1, 1000);
  auto ok = DecodeRecord(&r, sizeof(r));
  REQUIRE(ok.ok());
  CHECK(std::holds_alternative<hs_request>(*ok));
  CHECK(!DecodeRecord(&r, sizeof(r) - 1).ok());
  CHECK(!DecodeRecord(nullptr, 0).ok());
  hs_request bad = r;
  bad.path_len = HS_PATH_MAX + 1;
  CHECK(!DecodeRecord(&bad, sizeof(bad)).ok());
  bad = r;
  bad.tuple.family = 5;
  CHECK(!DecodeRecord(&bad, sizeof(bad)).ok());
  bad = r;
  bad.method = 77;
  CHECK(!DecodeRecord(&bad, sizeof(bad)).ok());
  bad = r;
  bad.kind = 9;
  CHECK(!DecodeRecord(&bad, sizeof(bad)).ok());
  hs_response resp = Response(r, 200, 5);
  CHECK(DecodeRecord(&resp, sizeof(resp)).ok());
  resp.status = 700;
  CHECK(!DecodeRecord(&resp, sizeof(resp)).ok());
}

TEST_CASE("the in-place check accepts exactly what DecodeRecord accepts", "[records]") {
  // Valid records, then each with one byte changed at every offset to several values, and
  // every size around the two record sizes: the verdicts (and the kind) agree.
  hs_request req = Request(1, 1000);
  hs_response resp = Response(req, 200, 5);
  std::vector<std::vector<uint8_t>> cases;
  auto bytes = [](const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    return std::vector<uint8_t>(b, b + n);
  };
  cases.push_back(bytes(&req, sizeof(req)));
  cases.push_back(bytes(&resp, sizeof(resp)));
  for (const std::vector<uint8_t>& base : std::vector<std::vector<uint8_t>>(cases)) {
    for (size_t at = 0; at < base.size(); ++at) {
      for (uint8_t v : {0x00, 0x01, 0x02, 0x06, 0x09, 0x0a, 0x80, 0xff}) {
        std::vector<uint8_t> c = base;
        c[at] = v;
        cases.push_back(c);
      }
    }
    for (size_t n = 0; n < base.size() + 16; ++n) {
      std::vector<uint8_t> c = base;
      c.resize(n);
      cases.push_back(c);
    }
  }
  int accepted = 0;
  for (const std::vector<uint8_t>& c : cases) {
    // Copied to 8-aligned storage, as the ring buffer hands records out.
    std::vector<uint64_t> aligned((c.size() + 7) / 8 + 1);
    if (!c.empty()) std::memcpy(aligned.data(), c.data(), c.size());  // c.data() may be null.
    const void* p = c.empty() ? nullptr : aligned.data();
    auto decoded = DecodeRecord(p, c.size());
    uint8_t kind = CheckRecord(p, c.size());
    INFO("size " << c.size());
    REQUIRE(decoded.ok() == (kind != 0));
    if (!decoded.ok()) continue;
    ++accepted;
    CHECK(kind ==
          (std::holds_alternative<hs_request>(*decoded) ? HS_KIND_REQUEST : HS_KIND_RESPONSE));
  }
  CHECK(accepted > 2);  // The mutations that keep a record valid (payload bytes) pass too.
  CHECK(CheckRecord(nullptr, 0) == 0);
}

TEST_CASE("the joiner pairs a response with its request, by tuple and time", "[records]") {
  Joiner j(1000, 100);
  std::vector<Completed> out;
  hs_request a = Request(10, 1000), b = Request(11, 1001);
  j.AddRequest(a, &out);
  j.AddRequest(b, &out);
  CHECK(out.empty());
  CHECK(j.AddResponse(Response(b, 404, 77), &out));
  REQUIRE(out.size() == 1);
  CHECK(out[0].request.tuple.sport == 1001);
  CHECK(out[0].status == 404);
  CHECK(out[0].latency_ns == 77);
  // Same tuple, other time: not a match.
  hs_request stale = a;
  stale.ts_ns = 9;
  CHECK(!j.AddResponse(Response(stale, 200, 1), &out));
  // Timeout: a is reported without a response.
  out.clear();
  j.Expire(1009, &out);
  CHECK(out.empty());
  j.Expire(1010, &out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].status == 0);
  CHECK(j.pending() == 0);
}

TEST_CASE("the joiner says when its oldest pending request expires", "[records]") {
  Joiner j(1000, 100);
  std::vector<Completed> out;
  CHECK(j.NextExpiryNs() == 0);  // Nothing pending: the reader may sleep without limit.
  hs_request a = Request(10, 1000), b = Request(20, 1001);
  j.AddRequest(a, &out);
  j.AddRequest(b, &out);
  CHECK(j.NextExpiryNs() == 1010);
  REQUIRE(j.AddResponse(Response(a, 200, 1), &out));
  // a's key still heads the order: early is allowed, and Expire then moves on to b.
  CHECK(j.NextExpiryNs() <= 1020);
  j.Expire(1010, &out);
  CHECK(j.NextExpiryNs() == 1020);
  REQUIRE(j.AddResponse(Response(b, 200, 1), &out));
  CHECK(j.NextExpiryNs() == 0);
}

TEST_CASE("the joiner gives up the oldest request beyond its bound", "[records]") {
  Joiner j(1000000, 2);
  std::vector<Completed> out;
  for (uint64_t t = 1; t <= 3; ++t) j.AddRequest(Request(t, 1000), &out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].request.ts_ns == 1);
  CHECK(j.pending() == 2);
  out.clear();
  j.Flush(&out);
  CHECK(out.size() == 2);
}

TEST_CASE("the joiner's bookkeeping stays bounded when every request is answered", "[records]") {
  Joiner j(1000000, 65536);
  std::vector<Completed> out;
  hs_request slow = Request(1, 999);  // Waits the whole time: expiry cannot pop past it.
  j.AddRequest(slow, &out);
  for (uint64_t t = 2; t < 100000; ++t) {
    hs_request r = Request(t, static_cast<uint16_t>(1000 + t % 50000));
    j.AddRequest(r, &out);
    REQUIRE(j.AddResponse(Response(r, 200, 1), &out));
    j.Expire(t, &out);
  }
  CHECK(out.size() == 99998);
  CHECK(j.pending() == 1);
  CHECK(j.tracked() <= 2 * j.pending() + 1025);
  out.clear();
  j.Expire(1000001, &out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].request.tuple.sport == 999);
  CHECK(j.tracked() == 0);
  // The same record twice is one pending request.
  j.AddRequest(slow, &out);
  j.AddRequest(slow, &out);
  CHECK(j.pending() == 1);
  out.clear();
  j.Flush(&out);
  CHECK(out.size() == 1);
}

TEST_CASE("a timestamp past the int64 range saturates instead of overflowing", "[records]") {
  hs_request r = Request(1000, 5555);
  r.ts_ns = 8576542540373688320ull;  // The fuzzer's value; plus 1.7e18 overflows int64.
  CHECK(ToSample(Completed{r, 0, 0}, 1700000000000000000).unix_nanos() ==
        std::numeric_limits<int64_t>::max());
  r.ts_ns = ~0ull;
  CHECK(ToSample(Completed{r, 0, 0}, 0).unix_nanos() == std::numeric_limits<int64_t>::max());
  r.ts_ns = 1000;
  CHECK(ToSample(Completed{r, 0, 0}, 5000).unix_nanos() == 6000);
}

TEST_CASE("a completed request becomes a Sample", "[records]") {
  hs_request r = Request(1000, 5555);
  std::memcpy(r.host, "h.test", 6);
  r.host_len = 6;
  r.flags = HS_F_HOST_FOUND | HS_F_PATH_TRUNCATED | HS_F_VERSION_SEEN;
  r.ifindex = 3;
  auto s = ToSample(Completed{r, 201, 2500000}, 5000);
  CHECK(s.method() == "POST");
  CHECK(s.path() == "/p");
  CHECK(s.path_truncated());
  CHECK(!s.host_truncated());
  CHECK(s.http_version_seen());
  CHECK(s.host() == "h.test");
  CHECK(s.client_address() == "192.0.2.1");
  CHECK(s.client_port() == 5555);
  CHECK(s.server_address() == "192.0.2.2");
  CHECK(s.server_port() == 80);
  CHECK(s.ifindex() == 3);
  CHECK(s.unix_nanos() == 6000);
  CHECK(s.status() == 201);
  CHECK(s.latency_us() == 2500);
}

TEST_CASE("a target or Host that is not UTF-8 still makes a Sample a receiver can parse",
          "[records]") {
  // Found by tests/fuzz/http_records_fuzz.cc: the raw bytes went into proto3 string fields,
  // and the receiving side refuses such a message (the Samples stream and Stats broke).
  hs_request r = Request(1, 1000);
  const char path[] = "/caf\xc3\xa9/\xff\x01?q=\xe2\x82";  // é ok; 0xff, ^A, a cut '€'
  r.path_len = sizeof(path) - 1;
  std::memcpy(r.path, path, r.path_len);
  std::memcpy(r.host, "h\x7f\xc0\xaf", 4);  // DEL and an overlong '/'
  r.host_len = 4;
  auto s = ToSample(Completed{r, 200, 1000}, 0);
  CHECK(s.path() == "/caf\xc3\xa9/%FF%01?q=%E2%82");
  CHECK(s.host() == "h%7F%C0%AF");
  std::string wire = s.SerializeAsString();
  paddock::http_sampler::v1::Sample back;
  CHECK(back.ParseFromString(wire));
}
