#include "wire.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>

using paddock::gcounter::VarintSize;
using paddock::gcounter::WireReader;
using paddock::gcounter::WireWriter;

TEST_CASE("wire round-trips fixed integers, varints and byte strings", "[gcounter][wire]") {
  std::string buf;
  WireWriter w(&buf);
  w.U8(0xab);
  w.U16(0xbeef);
  w.U32(0xdeadbeef);
  w.U64(0x0123456789abcdefull);
  const uint64_t varints[] = {0, 1, 127, 128, 300, 1ull << 35, UINT64_MAX};
  for (uint64_t v : varints) w.Varint(v);
  w.Bytes("hello");
  WireReader r(buf);
  uint8_t a;
  uint16_t b;
  uint32_t c;
  uint64_t d;
  REQUIRE(r.U8(&a));
  REQUIRE(r.U16(&b));
  REQUIRE(r.U32(&c));
  REQUIRE(r.U64(&d));
  CHECK(a == 0xab);
  CHECK(b == 0xbeef);
  CHECK(c == 0xdeadbeef);
  CHECK(d == 0x0123456789abcdefull);
  for (uint64_t v : varints) {
    uint64_t got = 0;
    REQUIRE(r.Varint(&got));
    CHECK(got == v);
  }
  std::string_view s;
  REQUIRE(r.Bytes(&s, 16));
  CHECK(s == "hello");
  CHECK(r.done());
  CHECK(VarintSize(127) == 1);
  CHECK(VarintSize(128) == 2);
  CHECK(VarintSize(UINT64_MAX) == 10);
}

TEST_CASE("wire reader fails on short, over-long and oversized input", "[gcounter][wire]") {
  uint64_t v;
  {
    WireReader r(std::string_view("\x80\x80", 2));  // Unterminated varint.
    CHECK_FALSE(r.Varint(&v));
    CHECK_FALSE(r.ok());
  }
  {
    std::string eleven(10, '\xff');
    eleven.push_back('\x01');
    WireReader r(eleven);
    CHECK_FALSE(r.Varint(&v));
  }
  {
    std::string overflow(9, '\xff');
    overflow.push_back('\x02');  // 10th byte may only be 0 or 1.
    WireReader r(overflow);
    CHECK_FALSE(r.Varint(&v));
  }
  {
    WireReader r(std::string_view("\x01\x02\x03", 3));
    CHECK_FALSE(r.U64(&v));
    uint8_t b;
    CHECK_FALSE(r.U8(&b));  // Stays failed.
  }
  {
    std::string buf;
    WireWriter(&buf).Bytes("too long");
    WireReader r(buf);
    std::string_view s;
    CHECK_FALSE(r.Bytes(&s, 4));
  }
  {
    std::string buf =
        "\x05"
        "abc";  // Length beyond the input.
    WireReader r(buf);
    std::string_view s;
    CHECK_FALSE(r.Bytes(&s, 100));
  }
}
