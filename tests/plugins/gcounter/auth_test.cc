#include "auth.h"

#include <catch2/catch.hpp>
#include <string>

using paddock::gcounter::Authenticator;
using paddock::gcounter::kTagBytes;
using paddock::gcounter::ParseHexKey;

namespace {

std::unique_ptr<Authenticator> Make(std::vector<std::string> keys) {
  auto a = Authenticator::Create(std::move(keys));
  REQUIRE(a.ok());
  return std::move(*a);
}

}  // namespace

TEST_CASE("HMAC tags verify under the same key and fail under another", "[gcounter][auth]") {
  auto a = Make({std::string(32, 'k')});
  auto b = Make({std::string(32, 'x')});
  std::string packet = "some packet bytes";
  a->Sign(&packet);
  CHECK(packet.size() == 17 + kTagBytes);
  CHECK(a->Verify(packet));
  CHECK(a->Verify(packet));  // The context is reusable.
  CHECK_FALSE(b->Verify(packet));
  std::string flipped = packet;
  flipped[3] ^= 1;
  CHECK_FALSE(a->Verify(flipped));
  std::string bad_tag = packet;
  bad_tag.back() ^= 0x80;
  CHECK_FALSE(a->Verify(bad_tag));
  CHECK_FALSE(a->Verify("short"));
  CHECK_FALSE(a->Verify(""));
}

TEST_CASE("HMAC matches the RFC 4231 test vector (truncated)", "[gcounter][auth]") {
  // RFC 4231 test case 2 uses a 4-byte key ("Jefe"), below our minimum; test case 6 uses
  // a 131-byte key of 0xaa and "Test Using Larger Than Block-Size Key - Hash Key First".
  auto a = Make({std::string(131, '\xaa')});
  std::string packet = "Test Using Larger Than Block-Size Key - Hash Key First";
  a->Sign(&packet);
  const unsigned char want[16] = {0x60, 0xe4, 0x31, 0x59, 0x1e, 0xe0, 0xb6, 0x7f,
                                  0x0d, 0x8a, 0x26, 0xaa, 0xcb, 0xf5, 0xb7, 0x7f};
  CHECK(packet.substr(packet.size() - 16) == std::string(reinterpret_cast<const char*>(want), 16));
}

TEST_CASE("key rotation: sign with the first key, accept any", "[gcounter][auth]") {
  auto old_only = Make({std::string(16, 'o')});
  auto both = Make({std::string(16, 'n'), std::string(16, 'o')});
  auto new_only = Make({std::string(16, 'n')});
  std::string from_old = "x";
  old_only->Sign(&from_old);
  std::string from_both = "y";
  both->Sign(&from_both);
  CHECK(both->Verify(from_old));
  CHECK(new_only->Verify(from_both));
  CHECK_FALSE(old_only->Verify(from_both));
}

TEST_CASE("bad keys are refused with a reason", "[gcounter][auth]") {
  CHECK(Authenticator::Create({}).status().code() == absl::StatusCode::kInvalidArgument);
  auto short_key = Authenticator::Create({"0123456789"});
  CHECK(short_key.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(short_key.status().message()).find("at least 16") != std::string::npos);
  CHECK(ParseHexKey("00112233445566778899aabbccddeeff").ok());
  CHECK(ParseHexKey("00112233445566778899aabbccddeeff")->size() == 16);
  CHECK_FALSE(ParseHexKey("0011").ok());
  CHECK_FALSE(ParseHexKey("00112233445566778899aabbccddeefg").ok());
  CHECK_FALSE(ParseHexKey("00112233445566778899aabbccddeeff0").ok());
}
