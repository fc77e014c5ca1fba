// The host's certificate authority: one fresh EC P-256 CA per paddockd run (key in memory
// only), and a leaf certificate per plugin instance and for the host itself. The identities
// in the SAN are what each side checks on the other, beyond the CA.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "openssl/evp.h"
#include "openssl/x509.h"

namespace paddock::host {

// SAN of the host's client certificate; every plugin admits only this identity.
inline constexpr char kHostIdentity[] = "paddockd.host.paddock";

// SAN of a plugin instance's certificate: "<name>.g<generation>.plugin.paddock".
std::string PluginIdentity(std::string_view name, uint64_t generation);

// A private key and the certificate for it, both PEM. The key exists only in memory: hand
// it over (bootstrap) and wipe it (OPENSSL_cleanse) when done.
struct IssuedCert {
  std::string private_key_pem;  // PKCS#8, unencrypted.
  std::string certificate_pem;
};

class CertificateAuthority {
 public:
  struct EvpPkeyFree {
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  };
  struct X509Free {
    void operator()(X509* p) const { X509_free(p); }
  };
  using KeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;
  using CertPtr = std::unique_ptr<X509, X509Free>;

  // A fresh EC P-256 CA, self-signed (CN=`common_name`, O=Paddock; CA:TRUE, pathlen 0). The
  // key lives only in this object. Valid from now - 5 min (clock skew) for `lifetime`.
  // InvalidArgument for an empty or over-long (> 64 bytes) name or a non-positive lifetime.
  static absl::StatusOr<std::unique_ptr<CertificateAuthority>> Create(std::string_view common_name,
                                                                      absl::Duration lifetime);

  // The CA certificate, PEM; what both sides trust.
  const std::string& certificate_pem() const { return certificate_pem_; }

  // A new EC P-256 key and a leaf certificate for it signed by this CA: SAN DNS:`identity`
  // (also the CN when it fits in 64 bytes), EKU serverAuth + clientAuth, CA:FALSE, a random
  // 128-bit serial, valid from now - 5 min for `lifetime` (never past the CA's own expiry).
  // `identity` must be a DNS name (lower-case labels [a-z0-9-], 1..63 bytes, 253 in all).
  // Thread-safe. Costs about a quarter of a millisecond (one key generation, one signature).
  absl::StatusOr<IssuedCert> Issue(std::string_view identity, absl::Duration lifetime) const;

 private:
  CertificateAuthority(KeyPtr key, CertPtr cert, std::string certificate_pem, absl::Time not_after)
      : key_(std::move(key)),
        cert_(std::move(cert)),
        certificate_pem_(std::move(certificate_pem)),
        not_after_(not_after) {}

  // Signing with the shared CA key is serialized (OpenSSL caches per-key state on first use).
  mutable absl::Mutex sign_mu_;
  const KeyPtr key_;
  const CertPtr cert_;
  const std::string certificate_pem_;
  const absl::Time not_after_;
};

}  // namespace paddock::host
