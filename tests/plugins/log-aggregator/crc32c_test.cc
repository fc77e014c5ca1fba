#include "crc32c.h"

#include <catch2/catch.hpp>
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

}  // namespace paddock::logagg
