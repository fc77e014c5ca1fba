#include "host/plugin_signature.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <string>

#include "host/plugin_fixture.h"
#include "host/sha256.h"
#include "host/signing_key.h"

namespace paddock::host {
namespace {

using testing::ReadAll;
using testing::TempDir;

EvpPkeyPtr NewKey() {
  absl::StatusOr<EvpPkeyPtr> k = NewSigningKey();
  REQUIRE(k.ok());
  return std::move(*k);
}

TrustedKeys Trusting(EVP_PKEY* key) {
  absl::StatusOr<std::string> pem = PublicKeyPem(key);
  REQUIRE(pem.ok());
  absl::StatusOr<EvpPkeyPtr> pub = ParsePublicKeyPem(*pem, "test");
  REQUIRE(pub.ok());
  TrustedKeys keys;
  REQUIRE(keys.Add(std::move(*pub)).ok());
  return keys;
}

std::string Message(const absl::Status& s) { return std::string(s.message()); }

TEST_CASE("a signature over a digest verifies with the signer's public key", "[signature]") {
  EvpPkeyPtr key = NewKey();
  const std::string digest = Sha256Hex("plugin bytes");
  absl::StatusOr<std::string> sig = SignDigest(key.get(), digest);
  REQUIRE(sig.ok());
  CHECK(sig->rfind("paddock-signature v1\nkey ", 0) == 0);
  CHECK(VerifySignature(*sig, digest, Trusting(key.get())).ok());
}

TEST_CASE("one changed byte in the binary fails verification", "[signature]") {
  EvpPkeyPtr key = NewKey();
  std::string bytes(4096, 'x');
  absl::StatusOr<std::string> sig = SignDigest(key.get(), Sha256Hex(bytes));
  REQUIRE(sig.ok());
  bytes[1234] ^= 1;
  absl::Status s = VerifySignature(*sig, Sha256Hex(bytes), Trusting(key.get()));
  CHECK(absl::IsPermissionDenied(s));
  CHECK(Message(s).find("signed bytes differ") != std::string::npos);
}

TEST_CASE("a signature by an untrusted key is refused and names the key", "[signature]") {
  EvpPkeyPtr signer = NewKey();
  EvpPkeyPtr other = NewKey();
  const std::string digest = Sha256Hex("x");
  absl::StatusOr<std::string> sig = SignDigest(signer.get(), digest);
  REQUIRE(sig.ok());
  absl::StatusOr<std::string> id = KeyId(signer.get());
  REQUIRE(id.ok());
  absl::Status s = VerifySignature(*sig, digest, Trusting(other.get()));
  CHECK(Message(s) == "signed by key " + *id +
                          ", which this host does not trust (signatures.trusted_keys holds 1 key)");
}

TEST_CASE("a forged signature with a trusted key id does not verify", "[signature]") {
  EvpPkeyPtr trusted = NewKey();
  EvpPkeyPtr forger = NewKey();
  const std::string digest = Sha256Hex("x");
  absl::StatusOr<std::string> good = SignDigest(trusted.get(), digest);
  absl::StatusOr<std::string> forged = SignDigest(forger.get(), digest);
  REQUIRE(good.ok());
  REQUIRE(forged.ok());
  // The trusted key's id line with the forger's signature line.
  const std::string text =
      good->substr(0, good->find("\nsig ")) + forged->substr(forged->find("\nsig "));
  absl::Status s = VerifySignature(text, digest, Trusting(trusted.get()));
  CHECK(Message(s).find("does not verify") != std::string::npos);
}

TEST_CASE("a signature for another digest with a swapped sha256 line does not verify",
          "[signature]") {
  EvpPkeyPtr key = NewKey();
  const std::string d1 = Sha256Hex("one"), d2 = Sha256Hex("two");
  absl::StatusOr<std::string> sig = SignDigest(key.get(), d1);
  REQUIRE(sig.ok());
  std::string text = *sig;
  text.replace(text.find(d1), d1.size(), d2);
  CHECK(Message(VerifySignature(text, d2, Trusting(key.get()))).find("does not verify") !=
        std::string::npos);
}

TEST_CASE("malformed signature files are refused with the reason", "[signature]") {
  const std::string digest = Sha256Hex("x");
  TrustedKeys none;
  for (const char* bad : {"", "garbage\n", "paddock-signature v1\nkey 0011\nsha256 00\nsig AA\n",
                          "paddock-signature v2\nkey a\nsha256 b\nsig c\n"}) {
    absl::Status s = VerifySignature(bad, digest, none);
    CHECK(absl::IsPermissionDenied(s));
    CHECK(Message(s).rfind("malformed signature file", 0) == 0);
  }
}

TEST_CASE("keygen writes a private key only its owner reads, and never overwrites", "[signature]") {
  TempDir dir;
  const std::string prefix = dir.path() + "/k";
  REQUIRE(GenerateSigningKey(prefix).ok());
  struct stat st {};
  REQUIRE(stat((prefix + ".key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(ReadAll(prefix + ".pub").rfind("-----BEGIN PUBLIC KEY-----", 0) == 0);
  const std::string before = ReadAll(prefix + ".key");
  CHECK(absl::IsAlreadyExists(GenerateSigningKey(prefix)));
  CHECK(ReadAll(prefix + ".key") == before);
  // The files load back as a matching pair.
  absl::StatusOr<EvpPkeyPtr> priv = LoadPrivateKey(prefix + ".key");
  absl::StatusOr<EvpPkeyPtr> pub = LoadPublicKey(prefix + ".pub");
  REQUIRE(priv.ok());
  REQUIRE(pub.ok());
  CHECK(*KeyId(priv->get()) == *KeyId(pub->get()));
}

TEST_CASE("SignPluginFile writes <binary>.sig that verifies against the file", "[signature]") {
  TempDir dir;
  const std::string prefix = dir.path() + "/k";
  REQUIRE(GenerateSigningKey(prefix).ok());
  const std::string bin = dir.Write("plugin", std::string(10000, 'p'));
  absl::StatusOr<std::string> sig = SignPluginFile(prefix + ".key", bin);
  REQUIRE(sig.ok());
  CHECK(*sig == bin + ".sig");
  TrustedKeys keys = TrustedKeys::Load({dir.path()});  // A directory of *.pub.
  CHECK(keys.size() == 1);
  CHECK(VerifySignature(ReadAll(*sig), Sha256Hex(ReadAll(bin)), keys).ok());
}

TEST_CASE("key files that are not Ed25519 PEM keys are refused", "[signature]") {
  TempDir dir;
  const std::string bogus = dir.Write("bogus.pub", "not a key\n");
  CHECK(Message(LoadPublicKey(bogus).status()).find("not a PEM public key") != std::string::npos);
  CHECK(Message(LoadPrivateKey(bogus).status()).find("not a PEM private key") != std::string::npos);
  TrustedKeys keys = TrustedKeys::Load({bogus, dir.path() + "/missing.pub"});
  CHECK(keys.size() == 0);
  CHECK(keys.problems().size() == 2);
}

}  // namespace
}  // namespace paddock::host
