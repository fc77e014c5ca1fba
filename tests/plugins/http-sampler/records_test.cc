#include "records.h"

#include <arpa/inet.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <limits>
#include <vector>

namespace {

using paddock::http_sampler::CheckRecord;
using paddock::http_sampler::Completed;
using paddock::http_sampler::DecodeRecord;
using paddock::http_sampler::Joiner;
using paddock::http_sampler::Request;
using paddock::http_sampler::ToSample;

Request MakeRequest(uint64_t ts, uint16_t sport) {
  Request r;
  r.kind = HS_KIND_REQUEST;
  r.method = HS_METHOD_POST;
  r.ts_ns = ts;
  r.tuple.family = 4;
  inet_pton(AF_INET, "192.0.2.1", r.tuple.saddr);
  inet_pton(AF_INET, "192.0.2.2", r.tuple.daddr);
  r.tuple.sport = sport;
  r.tuple.dport = 80;
  r.SetText("/p", "");
  return r;
}

// The ring record of `r`: its header, its text, then zero bytes up to `size`; cut at
// `size` when that is shorter (a record too small for its text).
std::vector<uint8_t> RecordBytes(const Request& r, size_t size) {
  size_t text = size_t{r.path_len} + r.host_len;
  std::vector<uint8_t> b(std::max(size, sizeof(hs_request) + text));
  std::memcpy(b.data(), static_cast<const hs_request*>(&r), sizeof(hs_request));
  if (text > 0) std::memcpy(b.data() + sizeof(hs_request), r.text(), text);
  b.resize(size);
  return b;
}

// A record's bytes at an 8-aligned address, as the ring buffer hands them out.
struct Aligned {
  explicit Aligned(const std::vector<uint8_t>& b) : words((b.size() + 7) / 8 + 1), size(b.size()) {
    if (!b.empty()) std::memcpy(words.data(), b.data(), b.size());  // b.data() may be null.
  }
  const void* data() const { return size == 0 ? nullptr : words.data(); }
  std::vector<uint64_t> words;
  size_t size;
};

hs_response Response(const Request& r, uint16_t status, uint64_t latency) {
  hs_response resp{};
  resp.kind = HS_KIND_RESPONSE;
  resp.status = status;
  resp.request_ts_ns = r.ts_ns;
  resp.latency_ns = latency;
  resp.tag = paddock::http_sampler::TupleHash(r.tuple);
  return resp;
}

}  // namespace

TEST_CASE("records decode only with the right size, kind and bounds", "[records]") {
  Request r = MakeRequest(1, 1000);
  constexpr size_t kSmall = sizeof(hs_request) + HS_SMALL_PATH + HS_SMALL_HOST;
  Aligned rec(RecordBytes(r, kSmall));
  auto ok = DecodeRecord(rec.data(), rec.size);
  REQUIRE(ok.ok());
  CHECK(std::holds_alternative<Request>(*ok));
  CHECK(!DecodeRecord(rec.data(), sizeof(hs_request) - 1).ok());
  CHECK(!DecodeRecord(nullptr, 0).ok());
  auto mutated = [&](auto change) {
    std::vector<uint8_t> b = RecordBytes(r, kSmall);
    hs_request h;
    std::memcpy(&h, b.data(), sizeof(h));
    change(h);
    std::memcpy(b.data(), &h, sizeof(h));
    Aligned a(b);
    return DecodeRecord(a.data(), a.size).ok();
  };
  CHECK(!mutated([](hs_request& h) { h.path_len = HS_PATH_MAX + 1; }));
  CHECK(!mutated([](hs_request& h) { h.tuple.family = 5; }));
  CHECK(!mutated([](hs_request& h) { h.method = 77; }));
  CHECK(!mutated([](hs_request& h) { h.kind = 9; }));
  hs_response resp = Response(r, 200, 5);
  CHECK(DecodeRecord(&resp, sizeof(resp)).ok());
  resp.status = 700;
  CHECK(!DecodeRecord(&resp, sizeof(resp)).ok());
}

TEST_CASE("a request record of any size class carries exactly its path and Host", "[records]") {
  const std::string long_path = "/" + std::string(HS_PATH_MAX - 1, 'p');
  const std::string long_host = std::string(HS_HOST_MAX, 'h');
  struct Case {
    std::string path, host;
    size_t size;  // The record size the program reserves for them.
  };
  const std::vector<Case> cases = {
      {"/", "a", sizeof(hs_request) + HS_SMALL_PATH + HS_SMALL_HOST},
      {"", "", sizeof(hs_request) + HS_SMALL_PATH + HS_SMALL_HOST},
      {"/bench/path?x=1", "127.0.0.1:8080", sizeof(hs_request) + HS_SMALL_PATH + HS_SMALL_HOST},
      {std::string(HS_MEDIUM_PATH, 'm'), "x", sizeof(hs_request) + HS_MEDIUM_PATH + HS_MEDIUM_HOST},
      {long_path, long_host, sizeof(hs_request) + HS_TEXT_MAX},
  };
  for (const Case& c : cases) {
    Request r = MakeRequest(7, 1234);
    r.SetText(c.path, c.host);
    std::vector<uint8_t> bytes = RecordBytes(r, c.size);
    // The slack after the text is whatever the ring held before: it must not be read.
    for (size_t i = sizeof(hs_request) + c.path.size() + c.host.size(); i < bytes.size(); ++i) {
      bytes[i] = 'X';
    }
    Aligned rec(bytes);
    INFO("path " << c.path.size() << " host " << c.host.size() << " size " << c.size);
    REQUIRE(CheckRecord(rec.data(), rec.size) == HS_KIND_REQUEST);
    auto decoded = DecodeRecord(rec.data(), rec.size);
    REQUIRE(decoded.ok());
    const Request& got = std::get<Request>(*decoded);
    CHECK(std::string(got.path()) == c.path);
    CHECK(std::string(got.host()) == c.host);
    // Copies keep the text (they move only its used bytes).
    Request copy = got;
    Request assigned;
    assigned = got;
    CHECK(std::string(copy.path()) == c.path);
    CHECK(std::string(copy.host()) == c.host);
    CHECK(std::string(assigned.host()) == c.host);
    CHECK(copy.ts_ns == 7);
    // A record one byte too short for its text is refused; so is one past the largest.
    if (!c.path.empty() || !c.host.empty()) {
      Aligned cut(RecordBytes(r, sizeof(hs_request) + c.path.size() + c.host.size() - 1));
      CHECK(CheckRecord(cut.data(), cut.size) == 0);
      CHECK(!DecodeRecord(cut.data(), cut.size).ok());
    }
  }
  Request r = MakeRequest(7, 1234);
  Aligned too_big(RecordBytes(r, sizeof(hs_request) + HS_TEXT_MAX + 8));
  CHECK(CheckRecord(too_big.data(), too_big.size) == 0);
  CHECK(!DecodeRecord(too_big.data(), too_big.size).ok());
}

TEST_CASE("the in-place check accepts exactly what DecodeRecord accepts", "[records]") {
  // Valid records, then each with one byte changed at every offset to several values, and
  // every size around the two record sizes: the verdicts (and the kind) agree.
  Request req = MakeRequest(1, 1000);
  req.SetText("/p", "h.test");
  hs_response resp = Response(req, 200, 5);
  std::vector<std::vector<uint8_t>> cases;
  auto bytes = [](const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    return std::vector<uint8_t>(b, b + n);
  };
  cases.push_back(RecordBytes(req, sizeof(hs_request) + HS_SMALL_PATH + HS_SMALL_HOST));
  cases.push_back(bytes(&resp, sizeof(resp)));
  for (const std::vector<uint8_t>& base : std::vector<std::vector<uint8_t>>(cases)) {
    for (size_t at = 0; at < base.size(); ++at) {
      for (uint8_t v : {0x00, 0x01, 0x02, 0x06, 0x09, 0x0a, 0x80, 0xff}) {
        std::vector<uint8_t> c = base;
        c[at] = v;
        cases.push_back(c);
      }
    }
    for (size_t n = 0; n < std::max(base.size() + 16, sizeof(hs_request) + HS_TEXT_MAX + 16); ++n) {
      std::vector<uint8_t> c = base;
      c.resize(n);
      cases.push_back(c);
    }
  }
  int accepted = 0;
  for (const std::vector<uint8_t>& c : cases) {
    Aligned aligned(c);
    const void* p = aligned.data();
    auto decoded = DecodeRecord(p, c.size());
    uint8_t kind = CheckRecord(p, c.size());
    INFO("size " << c.size());
    REQUIRE(decoded.ok() == (kind != 0));
    if (!decoded.ok()) continue;
    ++accepted;
    CHECK(kind == (std::holds_alternative<Request>(*decoded) ? HS_KIND_REQUEST : HS_KIND_RESPONSE));
  }
  CHECK(accepted > 2);  // The mutations that keep a record valid (payload bytes) pass too.
  CHECK(CheckRecord(nullptr, 0) == 0);
}

TEST_CASE("the joiner pairs a response with its request, by tuple and time", "[records]") {
  Joiner j(1000, 100);
  std::vector<Completed> out;
  Request a = MakeRequest(10, 1000), b = MakeRequest(11, 1001);
  j.AddRequest(a, &out);
  j.AddRequest(b, &out);
  CHECK(out.empty());
  CHECK(j.AddResponse(Response(b, 404, 77), &out));
  REQUIRE(out.size() == 1);
  CHECK(out[0].request.tuple.sport == 1001);
  CHECK(out[0].status == 404);
  CHECK(out[0].latency_ns == 77);
  // Same tuple, other time: not a match.
  Request stale = a;
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

TEST_CASE("a response read before its request is held and completes it", "[records]") {
  // One ring per CPU: the response's ring may be read before the request's.
  Joiner j(1000, 100);
  std::vector<Completed> out;
  Request a = MakeRequest(10, 1000), b = MakeRequest(11, 1001);
  CHECK(!j.AddResponse(Response(a, 503, 42), &out));
  CHECK(out.empty());
  CHECK(j.held() == 1);
  CHECK(j.NextExpiryNs() == 1010);  // The reader wakes to give it up if no request comes.
  j.AddRequest(b, &out);            // Another request: not its match.
  CHECK(out.empty());
  j.AddRequest(a, &out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].request.tuple.sport == 1000);
  CHECK(out[0].status == 503);
  CHECK(out[0].latency_ns == 42);
  CHECK(j.held() == 0);
  CHECK(j.pending() == 1);  // b, still waiting in the usual way.
  CHECK(j.unmatched() == 0);
  REQUIRE(j.AddResponse(Response(b, 200, 7), &out));
  CHECK(out.size() == 2);
  CHECK(j.NextExpiryNs() == 0);
}

TEST_CASE("a held response without a request is given up at its request's timeout", "[records]") {
  Joiner j(1000, 100);
  std::vector<Completed> out;
  Request a = MakeRequest(10, 1000);
  // Its request expired already (reported unanswered): the late response never joins.
  j.AddRequest(a, &out);
  j.Expire(1010, &out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].status == 0);
  out.clear();
  CHECK(!j.AddResponse(Response(a, 200, 5000), &out));
  CHECK(j.held() == 1);
  j.Expire(1011, &out);
  CHECK(out.empty());
  CHECK(j.held() == 0);
  CHECK(j.unmatched() == 1);
  // A held response waits until its request's timeout, not less.
  Request c = MakeRequest(2000, 1002);
  CHECK(!j.AddResponse(Response(c, 200, 1), &out));
  j.Expire(2999, &out);
  CHECK(j.held() == 1);
  j.Expire(3000, &out);
  CHECK(j.held() == 0);
  CHECK(j.unmatched() == 2);
  // A request arriving after that is pending as usual (and expires unanswered).
  j.AddRequest(c, &out);
  CHECK(j.pending() == 1);
  // Flush drops what is still held, counted.
  Request d = MakeRequest(5000, 1003);
  CHECK(!j.AddResponse(Response(d, 200, 1), &out));
  out.clear();
  j.Flush(&out);
  CHECK(out.size() == 1);
  CHECK(j.held() == 0);
  CHECK(j.unmatched() == 3);
}

TEST_CASE("held responses are bounded like pending requests", "[records]") {
  Joiner j(1000000, 4);
  std::vector<Completed> out;
  for (uint64_t t = 1; t <= 10; ++t) {
    CHECK(!j.AddResponse(Response(MakeRequest(t, 1000), 200, 1), &out));
  }
  CHECK(j.held() == 4);
  CHECK(j.unmatched() == 6);
  // The newest ones are kept.
  j.AddRequest(MakeRequest(10, 1000), &out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].status == 200);
  j.AddRequest(MakeRequest(1, 1000), &out);
  CHECK(out.size() == 1);
  CHECK(j.pending() == 1);
  // Many held and then joined: the arrival order of held keys stays bounded too.
  Joiner k(1000000, 65536);
  for (uint64_t t = 1; t < 50000; ++t) {
    Request r = MakeRequest(t, static_cast<uint16_t>(1000 + t % 50000));
    CHECK(!k.AddResponse(Response(r, 200, 1), &out));
    k.AddRequest(r, &out);
  }
  CHECK(k.held() == 0);
  CHECK(k.pending() == 0);
  CHECK(k.unmatched() == 0);
}

TEST_CASE("the joiner says when its oldest pending request expires", "[records]") {
  Joiner j(1000, 100);
  std::vector<Completed> out;
  CHECK(j.NextExpiryNs() == 0);  // Nothing pending: the reader may sleep without limit.
  Request a = MakeRequest(10, 1000), b = MakeRequest(20, 1001);
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
  for (uint64_t t = 1; t <= 3; ++t) j.AddRequest(MakeRequest(t, 1000), &out);
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
  Request slow = MakeRequest(1, 999);  // Waits the whole time: expiry cannot pop past it.
  j.AddRequest(slow, &out);
  for (uint64_t t = 2; t < 100000; ++t) {
    Request r = MakeRequest(t, static_cast<uint16_t>(1000 + t % 50000));
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
  Request r = MakeRequest(1000, 5555);
  r.ts_ns = 8576542540373688320ull;  // The fuzzer's value; plus 1.7e18 overflows int64.
  CHECK(ToSample(Completed{r, 0, 0}, 1700000000000000000).unix_nanos() ==
        std::numeric_limits<int64_t>::max());
  r.ts_ns = ~0ull;
  CHECK(ToSample(Completed{r, 0, 0}, 0).unix_nanos() == std::numeric_limits<int64_t>::max());
  r.ts_ns = 1000;
  CHECK(ToSample(Completed{r, 0, 0}, 5000).unix_nanos() == 6000);
}

TEST_CASE("a completed request becomes a Sample", "[records]") {
  Request r = MakeRequest(1000, 5555);
  r.SetText("/p", "h.test");
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
  Request r = MakeRequest(1, 1000);
  const char path[] = "/caf\xc3\xa9/\xff\x01?q=\xe2\x82";           // é ok; 0xff, ^A, a cut '€'
  r.SetText(std::string(path, sizeof(path) - 1), "h\x7f\xc0\xaf");  // DEL, an overlong '/'
  auto s = ToSample(Completed{r, 200, 1000}, 0);
  CHECK(s.path() == "/caf\xc3\xa9/%FF%01?q=%E2%82");
  CHECK(s.host() == "h%7F%C0%AF");
  std::string wire = s.SerializeAsString();
  paddock::http_sampler::v1::Sample back;
  CHECK(back.ParseFromString(wire));
}
