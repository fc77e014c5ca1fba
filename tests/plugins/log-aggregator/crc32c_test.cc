#include "crc32c.h"

#include <catch2/catch.hpp>
#include <random>
#include <string>

namespace paddock::logagg {

TEST_CASE("Crc32c matches the standard check values", "[crc32c]") {
  // RFC 3720 B.4 and the common "123456789" check value.
  REQUIRE(Crc32c(0, "123456789", 9) == 0xE3069283u);
  std::string zeros(32, '\0');
  REQUIRE(Crc32c(0, zeros.data(), zeros.size()) == 0x8A9136AAu);
  std::string ones(32, '\xff');
  REQUIRE(Crc32c(0, ones.data(), ones.size()) == 0x62A8AB43u);
}

TEST_CASE("Crc32c can be extended piecewise", "[crc32c]") {
  std::string s = "The quick brown fox jumps over the lazy dog, twice over for good measure.";
  uint32_t whole = Crc32c(0, s.data(), s.size());
  for (size_t cut = 0; cut <= s.size(); ++cut) {
    uint32_t a = Crc32c(0, s.data(), cut);
    REQUIRE(Crc32c(a, s.data() + cut, s.size() - cut) == whole);
  }
}

TEST_CASE("Crc32c agrees with a bitwise reference at every length and alignment", "[crc32c]") {
  // Independent of the implementation's tables and block joining: bit by bit.
  auto reference = [](uint32_t crc, const unsigned char* p, size_t n) {
    crc = ~crc;
    for (size_t i = 0; i < n; ++i) {
      crc ^= p[i];
      for (int k = 0; k < 8; ++k) crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
    }
    return ~crc;
  };
  std::mt19937 rng(5);
  std::string buf(1200, '\0');
  for (char& c : buf) c = static_cast<char>(rng());
  const auto* bytes = reinterpret_cast<const unsigned char*>(buf.data());
  for (size_t off = 0; off < 8; ++off) {
    for (size_t n = 0; n + off <= 1100; n += (n < 600 ? 1 : 37)) {
      uint32_t seed = static_cast<uint32_t>(rng());
      INFO("offset " << off << " length " << n);
      REQUIRE(Crc32c(seed, bytes + off, n) == reference(seed, bytes + off, n));
    }
  }
}

}  // namespace paddock::logagg
