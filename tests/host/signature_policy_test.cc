#include "host/signature_policy.h"

#include <catch2/catch.hpp>
#include <string>

#include "host/config.h"
#include "host/plugin_fixture.h"
#include "host/plugin_signature.h"
#include "host/signing_key.h"

namespace paddock::host {
namespace {

using paddock::v1::HostConfig;
using paddock::v1::SignatureSettings;
using testing::ElfWithManifest;
using testing::TempDir;
using testing::ValidManifest;

struct Setup {
  TempDir dir;
  std::string key_prefix, binary;
  std::shared_ptr<const PluginImage> image;
  HostConfig config;

  explicit Setup(SignatureSettings::Policy policy) {
    key_prefix = dir.path() + "/signer";
    REQUIRE(GenerateSigningKey(key_prefix).ok());
    binary = dir.Write("alpha", ElfWithManifest(ValidManifest("alpha")));
    auto loaded = PluginImage::Load(binary);
    REQUIRE(loaded.ok());
    image = *loaded;
    config.add_plugin_dirs(dir.path());
    config.mutable_signatures()->set_policy(policy);
    config.mutable_signatures()->add_trusted_keys(key_prefix + ".pub");
  }
  TrustedKeys Keys() const {
    return TrustedKeys::Load(
        {config.signatures().trusted_keys().begin(), config.signatures().trusted_keys().end()});
  }
  SignatureCheck Check() const { return CheckPluginSignature(config, Keys(), binary, *image); }
};

TEST_CASE("require: a good signature passes", "[signature_policy]") {
  Setup s(SignatureSettings::REQUIRE);
  REQUIRE(SignPluginFile(s.key_prefix + ".key", s.binary).ok());
  SignatureCheck c = s.Check();
  CHECK(c.status.ok());
  CHECK_FALSE(c.refused());
}

TEST_CASE("require: a missing signature refuses the plugin with how to fix it",
          "[signature_policy]") {
  Setup s(SignatureSettings::REQUIRE);
  SignatureCheck c = s.Check();
  CHECK(c.refused());
  CHECK(std::string(c.status.message()) == "signature required: not signed (no " + s.binary +
                                               ".sig; sign it with `paddockctl sign --key KEY " +
                                               s.binary + "`)");
}

TEST_CASE("require: a signature by a key the host does not trust is refused",
          "[signature_policy]") {
  Setup s(SignatureSettings::REQUIRE);
  REQUIRE(GenerateSigningKey(s.dir.path() + "/stranger").ok());
  REQUIRE(SignPluginFile(s.dir.path() + "/stranger.key", s.binary).ok());
  SignatureCheck c = s.Check();
  CHECK(c.refused());
  CHECK(std::string(c.status.message()).find("which this host does not trust") !=
        std::string::npos);
}

TEST_CASE("require: the check is against the sealed image, not the file now on disk",
          "[signature_policy]") {
  Setup s(SignatureSettings::REQUIRE);
  // The file is replaced after the image was loaded and the new file is signed: the image
  // the host would run is not what was signed.
  s.dir.Write("alpha", ElfWithManifest(ValidManifest("alpha")) + "tail");
  REQUIRE(SignPluginFile(s.key_prefix + ".key", s.binary).ok());
  SignatureCheck c = s.Check();
  CHECK(c.refused());
  CHECK(std::string(c.status.message()).find("signed bytes differ") != std::string::npos);
}

TEST_CASE("warn: a failed check is reported but does not refuse", "[signature_policy]") {
  Setup s(SignatureSettings::WARN);
  SignatureCheck c = s.Check();
  CHECK_FALSE(c.status.ok());
  CHECK_FALSE(c.refused());
  CHECK(std::string(c.status.message()).rfind("signature check failed (policy warn)", 0) == 0);
}

TEST_CASE("off: nothing is checked", "[signature_policy]") {
  Setup s(SignatureSettings::OFF);
  s.dir.Write("alpha.sig", "garbage");
  SignatureCheck c = s.Check();
  CHECK(c.status.ok());
  CHECK_FALSE(AnySignatureChecked(s.config));
}

TEST_CASE("the policy is per plugin directory", "[signature_policy]") {
  HostConfig c;
  c.add_plugin_dirs("/opt/a");
  c.add_plugin_dirs("/opt/b/");
  c.mutable_signatures()->set_policy(SignatureSettings::REQUIRE);
  (*c.mutable_signatures()->mutable_dirs())["/opt/b/"] = SignatureSettings::OFF;
  CHECK(PolicyForPath(c, "/opt/a/x") == SignatureSettings::REQUIRE);
  CHECK(PolicyForPath(c, "/opt/b/x") == SignatureSettings::OFF);
  CHECK(PolicyForPath(c, "/opt/c/x") == SignatureSettings::REQUIRE);
  CHECK(AnySignatureChecked(c));
  CHECK(std::string(SignaturePolicyName(SignatureSettings::WARN)) == "warn");
}

}  // namespace
}  // namespace paddock::host

namespace paddock::host {
namespace {

TEST_CASE("config: signatures parse strictly and expand $ORIGIN", "[signature_policy]") {
  absl::StatusOr<paddock::v1::HostConfig> c = ParseHostConfig(
      R"({"plugin_dirs": ["$ORIGIN/p", "/q"],
          "signatures": {"policy": "REQUIRE", "dirs": {"$ORIGIN/p": "OFF"},
                         "trusted_keys": ["$ORIGIN/../keys"]}})");
  REQUIRE(c.ok());
  ExpandOrigin(&*c, "/opt/paddock/bin");
  CHECK(c->signatures().trusted_keys(0) == "/opt/paddock/keys");
  CHECK(PolicyForPath(*c, "/opt/paddock/bin/p/x") == paddock::v1::SignatureSettings::OFF);
  CHECK(PolicyForPath(*c, "/q/x") == paddock::v1::SignatureSettings::REQUIRE);

  absl::StatusOr<paddock::v1::HostConfig> bad =
      ParseHostConfig(R"({"plugin_dirs": ["/p"], "signatures": {"dirs": {"/elsewhere": "OFF"}}})");
  REQUIRE_FALSE(bad.ok());
  CHECK(std::string(bad.status().message()) ==
        "signatures.dirs.\"/elsewhere\": is not one of plugin_dirs (write the directory exactly "
        "as there)");
  CHECK_FALSE(ParseHostConfig(R"({"signatures": {"policy": "MAYBE"}})").ok());
  CHECK_FALSE(ParseHostConfig(R"({"signatures": {"trusted_keys": ["keys"]}})").ok());
  // Absent: warn.
  absl::StatusOr<paddock::v1::HostConfig> absent = ParseHostConfig("{}");
  REQUIRE(absent.ok());
  CHECK(absent->signatures().policy() == paddock::v1::SignatureSettings::WARN);
}

}  // namespace
}  // namespace paddock::host
