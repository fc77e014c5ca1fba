// Plugin signatures: the file <binary>.sig beside a plugin binary (`paddockctl sign`).
//
// Decision: a detached file, not an ELF section. The signature covers every byte of the
// binary, unchanged, with no section to exclude from the hash; `sha256sum` of the file is
// what was signed; and signing never rewrites a binary (so a build's output and its
// signature can be produced, copied and checked separately). The cost is a second file to
// ship: a missing .sig is reported as exactly that.
//
// The file is four lines of text:
//   paddock-signature v1
//   key 0123456789abcdef          (KeyId of the signing key)
//   sha256 <64 hex digits>        (of the binary's bytes)
//   sig <base64 Ed25519 signature>
// The signed message is "paddock-plugin-signature-v1\nsha256 <hex>\n": a domain-separation
// prefix, then the digest. The host checks the digest of the bytes it sealed into the memfd
// it executes (PluginImage::sha256_hex), so the bytes verified are the bytes run.
#pragma once

#include <openssl/evp.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "host/signing_key.h"

namespace paddock::host {

// Suffix of a signature file: "<plugin path>.sig". Plugin directory scans skip these.
inline constexpr char kSignatureSuffix[] = ".sig";
// Largest signature file read.
inline constexpr size_t kMaxSignatureFileBytes = 4096;

// The fields of a signature file.
struct PluginSignature {
  std::string key_id;      // 16 lowercase hex digits.
  std::string sha256_hex;  // 64 lowercase hex digits.
  std::string signature;   // 64 raw bytes.
};

// Signs `sha256_hex` (the binary's digest, lowercase hex) with Ed25519 private key `key`.
// Returns the signature file's text.
absl::StatusOr<std::string> SignDigest(EVP_PKEY* key, std::string_view sha256_hex);

// Reads the file at `binary_path`, signs its SHA-256 with the private key in `key_path` and
// writes `binary_path`.sig (replacing it atomically). Returns the .sig path.
absl::StatusOr<std::string> SignPluginFile(const std::string& key_path,
                                           const std::string& binary_path);

// Parses a signature file strictly. InvalidArgument says what is malformed.
absl::StatusOr<PluginSignature> ParseSignature(std::string_view text);

// The public keys a host trusts, by key id. Move-only; read-only after Load (thread-safe
// for concurrent Find).
class TrustedKeys {
 public:
  // Loads every path: a PEM public key file, or a directory whose *.pub files are loaded
  // (sorted, not recursive). Never fails as a whole: files that cannot be read or parsed,
  // and missing paths, are listed in problems() and left out.
  static TrustedKeys Load(const std::vector<std::string>& paths);

  // Adds `key` (public or private; only the public half is used). InvalidArgument if it is
  // not Ed25519.
  absl::Status Add(EvpPkeyPtr key);
  // The key with `key_id`, or nullptr. The pointer lives as long as this object.
  EVP_PKEY* Find(const std::string& key_id) const;
  size_t size() const { return keys_.size(); }
  // Why paths given to Load were left out, one entry each.
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  std::map<std::string, EvpPkeyPtr> keys_;  // By key id.
  std::vector<std::string> problems_;
};

// Checks signature file text `sig_text` against the binary digest `sha256_hex` and
// `keys`. Returns OK when a trusted key signed exactly this digest; otherwise
// PermissionDenied with the reason: malformed file, "signed bytes differ (signature is for
// sha256 X, the binary is Y)", "signed by key K, which this host does not trust", or
// "signature by key K does not verify".
absl::Status VerifySignature(std::string_view sig_text, std::string_view sha256_hex,
                             const TrustedKeys& keys);

}  // namespace paddock::host
