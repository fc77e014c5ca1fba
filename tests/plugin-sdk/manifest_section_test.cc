// Tests of the manifest section format and manifest validation.
#include "plugin-sdk/manifest_section.h"

#include <catch2/catch.hpp>

namespace paddock::sdk {
namespace {

v1::PluginManifest Valid() {
  v1::PluginManifest m;
  m.set_name("log-aggregator");
  m.set_version("1.2.3");
  m.set_sdk_protocol("1.0.0");
  m.add_services()->set_name("paddock.logs.v1.Logs");
  return m;
}

TEST_CASE("the section is magic, version, length, payload", "[manifest]") {
  auto section = EncodeManifestSection(Valid());
  REQUIRE(section.ok());
  CHECK(section->substr(0, 8) == "PADDOCK1");
  CHECK(section->substr(8, 4) == std::string("\x01\x00\x00\x00", 4));
  const std::string payload = Valid().SerializeAsString();
  const uint32_t n = static_cast<uint32_t>(payload.size());
  CHECK(static_cast<unsigned char>((*section)[12]) == (n & 0xff));
  CHECK(section->substr(16) == payload);
  auto back = DecodeManifestSection(*section);
  REQUIRE(back.ok());
  CHECK(back->name() == "log-aggregator");
  // Alignment padding after the payload is tolerated.
  CHECK(DecodeManifestSection(*section + std::string(7, '\0')).ok());
}

TEST_CASE("malformed sections are refused with a reason", "[manifest]") {
  std::string good = *EncodeManifestSection(Valid());
  CHECK_FALSE(DecodeManifestSection("").ok());
  CHECK_FALSE(DecodeManifestSection(good.substr(0, 15)).ok());
  std::string bad_magic = good;
  bad_magic[0] = 'X';
  CHECK(std::string(DecodeManifestSection(bad_magic).status().message()).find("magic") !=
        std::string::npos);
  std::string bad_version = good;
  bad_version[8] = 2;
  CHECK_FALSE(DecodeManifestSection(bad_version).ok());
  std::string too_long = good;
  too_long[13] = 0x7f;  // Length beyond the section.
  CHECK_FALSE(DecodeManifestSection(too_long).ok());
  CHECK_FALSE(DecodeManifestSection(good + "junk").ok());
  std::string garbage = good.substr(0, 16) + std::string(good.size() - 16, '\xff');
  CHECK_FALSE(DecodeManifestSection(garbage).ok());
}

TEST_CASE("plugin names", "[manifest]") {
  CHECK(IsValidPluginName("hello"));
  CHECK(IsValidPluginName("http-sampler2"));
  CHECK(IsValidPluginName(std::string(63, 'a')));
  CHECK_FALSE(IsValidPluginName(std::string(64, 'a')));
  CHECK_FALSE(IsValidPluginName(""));
  CHECK_FALSE(IsValidPluginName("Hello"));
  CHECK_FALSE(IsValidPluginName("1hello"));
  CHECK_FALSE(IsValidPluginName("he_llo"));
  CHECK_FALSE(IsValidPluginName("../x"));
}

TEST_CASE("semantic versions", "[manifest]") {
  for (const char* v : {"0.0.0", "1.2.3", "10.20.30", "1.0.0-rc.1", "1.0.0-alpha-1.0+build.5",
                        "1.0.0+20130313144700", "1.0.0-0A.is.legal"}) {
    INFO(v);
    CHECK(IsValidSemver(v));
  }
  for (const char* v : {"", "1", "1.2", "1.2.3.4", "01.2.3", "1.02.3", "1.2.3-", "1.2.3+",
                        "1.2.3-01", "1.2.3-a..b", "v1.2.3", "1.2.3 ", "1.2.-3", "1.2.3-é"}) {
    INFO(v);
    CHECK_FALSE(IsValidSemver(v));
  }
}

TEST_CASE("manifest validation names the field", "[manifest]") {
  CHECK(ValidateManifest(Valid()).ok());
  auto m = Valid();
  m.set_name("Bad");
  CHECK(std::string(ValidateManifest(m).message()).find("name") != std::string::npos);
  m = Valid();
  m.set_version("1.0");
  CHECK(std::string(ValidateManifest(m).message()).find("version") != std::string::npos);
  m = Valid();
  m.add_services()->set_name("paddock.logs.v1.Logs");
  CHECK(std::string(ValidateManifest(m).message()).find("twice") != std::string::npos);
  m = Valid();
  m.mutable_sandbox()->add_sockets()->set_name("Syslog");
  CHECK(std::string(ValidateManifest(m).message()).find("socket") != std::string::npos);
}

TEST_CASE("an executable without paddock_add_plugin has no manifest", "[manifest]") {
  CHECK(EmbeddedManifest().status().code() == absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace paddock::sdk
