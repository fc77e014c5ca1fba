#include "host/sha256.h"

#include <catch2/catch.hpp>

namespace paddock::host {
namespace {

TEST_CASE("Sha256Hex matches the FIPS 180-2 test vectors", "[sha256]") {
  CHECK(Sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(Sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace paddock::host
