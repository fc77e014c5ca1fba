// Ed25519 keys for plugin signatures (OpenSSL 3, EVP_PKEY_ED25519): the operator's signing
// key (`paddockctl keygen`, `paddockctl sign`) and the public keys a host trusts.
//
// Files are PEM: the private key as unencrypted PKCS#8 ("PRIVATE KEY", mode 0600; protect
// it like any signing key, e.g. keep it off the hosts that run plugins), the public key as
// SubjectPublicKeyInfo ("PUBLIC KEY"), the form `openssl pkey -pubout` writes.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace paddock::host {

struct EvpPkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
// Owns one OpenSSL key (private or public).
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;

// Largest key file read.
inline constexpr size_t kMaxKeyFileBytes = 16 << 10;

// Makes a new Ed25519 key pair and writes `prefix`.key (mode 0600) and `prefix`.pub (mode
// 0644). Never overwrites: AlreadyExists when either file exists. Errors name the file.
absl::Status GenerateSigningKey(const std::string& prefix);

// A new Ed25519 key pair in memory (tests, and GenerateSigningKey).
absl::StatusOr<EvpPkeyPtr> NewSigningKey();

// Reads the Ed25519 private key in PEM file `path`. InvalidArgument when the file is not
// a PEM private key or the key is not Ed25519.
absl::StatusOr<EvpPkeyPtr> LoadPrivateKey(const std::string& path);

// Parses an Ed25519 public key from PEM text; `source` names it in errors.
absl::StatusOr<EvpPkeyPtr> ParsePublicKeyPem(std::string_view pem, std::string_view source);
// Reads the Ed25519 public key in PEM file `path`.
absl::StatusOr<EvpPkeyPtr> LoadPublicKey(const std::string& path);

// The PEM text of the public half of `key` (private or public).
absl::StatusOr<std::string> PublicKeyPem(EVP_PKEY* key);

// The key id: the first 16 hex digits of the SHA-256 of the raw 32-byte public key. Names
// the key in signature files, logs and errors.
absl::StatusOr<std::string> KeyId(EVP_PKEY* key);

}  // namespace paddock::host
