// Host CA and leaf certificates with OpenSSL 3 (see certs.h).
#include "host/certs.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "openssl/bio.h"
#include "openssl/bn.h"
#include "openssl/err.h"
#include "openssl/pem.h"
#include "openssl/rand.h"
#include "openssl/x509v3.h"

namespace paddock::host {
namespace {

using KeyPtr = CertificateAuthority::KeyPtr;
using CertPtr = CertificateAuthority::CertPtr;
template <typename T, void (*F)(T*)>
struct Free {
  void operator()(T* p) const { F(p); }
};
using BioPtr = std::unique_ptr<BIO, Free<BIO, BIO_free_all>>;
using BnPtr = std::unique_ptr<BIGNUM, Free<BIGNUM, BN_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Free<X509_EXTENSION, X509_EXTENSION_free>>;
using NamesPtr = std::unique_ptr<GENERAL_NAMES, Free<GENERAL_NAMES, GENERAL_NAMES_free>>;
using NamePtr = std::unique_ptr<GENERAL_NAME, Free<GENERAL_NAME, GENERAL_NAME_free>>;

// Back-dating of notBefore, for hosts and plugins whose clocks disagree a little.
constexpr absl::Duration kClockSkew = absl::Minutes(5);
constexpr size_t kMaxCommonName = 64;  // ub-common-name, RFC 5280.

// A status carrying `what` and OpenSSL's error queue (which it empties).
absl::Status OpenSslError(std::string_view what) {
  std::string msg(what);
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    absl::StrAppend(&msg, msg.size() == what.size() ? ": " : "; ", buf);
  }
  return absl::InternalError(msg);
}

bool IsDnsName(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t label = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '.') {
      if (label == 0 || label > 63 || s[i - 1] == '-' || s[i - label] == '-') return false;
      label = 0;
      continue;
    }
    const char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
    ++label;
  }
  return true;
}

absl::StatusOr<KeyPtr> NewP256Key() {
  KeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return OpenSslError("generating an EC P-256 key");
  return key;
}

absl::StatusOr<std::string> BioContents(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  if (len <= 0 || data == nullptr) return OpenSslError("reading PEM output");
  return std::string(data, static_cast<size_t>(len));
}

absl::StatusOr<std::string> CertPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1)
    return OpenSslError("encoding a certificate");
  return BioContents(bio.get());
}

absl::StatusOr<std::string> KeyPem(EVP_PKEY* key) {
  // The secure-memory BIO wipes its buffer when freed.
  BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return OpenSslError("encoding a private key");
  }
  return BioContents(bio.get());
}

// A random positive 128-bit serial number.
absl::Status SetRandomSerial(X509* cert) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) return OpenSslError("drawing a serial number");
  bytes[0] &= 0x7f;  // Positive in DER.
  bytes[0] |= 0x40;  // Never zero, always 127 bits: a fixed-size encoding.
  BnPtr bn(BN_bin2bn(bytes, sizeof(bytes), nullptr));
  if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) == nullptr) {
    return OpenSslError("setting the serial number");
  }
  return absl::OkStatus();
}

absl::Status SetValidity(X509* cert, absl::Time not_before, absl::Time not_after) {
  if (ASN1_TIME_set(X509_getm_notBefore(cert), absl::ToTimeT(not_before)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert), absl::ToTimeT(not_after)) == nullptr) {
    return OpenSslError("setting the validity period");
  }
  return absl::OkStatus();
}

// Subject O=Paddock, plus CN=`cn` unless it is empty.
absl::Status SetSubject(X509* cert, std::string_view cn) {
  X509_NAME* name = X509_get_subject_name(cert);
  auto add = [&](const char* field, std::string_view value) {
    return X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char*>(value.data()),
                                      static_cast<int>(value.size()), -1, 0) == 1;
  };
  if (!add("O", "Paddock") || (!cn.empty() && !add("CN", cn))) {
    return OpenSslError("setting the subject name");
  }
  return absl::OkStatus();
}

// Adds the extensions given in OpenSSL's config syntax (constant strings only: nothing
// user-supplied goes through this parser).
absl::Status AddExtensions(X509* cert, X509* issuer,
                           std::initializer_list<std::pair<int, const char*>> exts) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  for (const auto& [nid, value] : exts) {
    ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
    if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
      return OpenSslError(absl::StrCat("adding extension ", OBJ_nid2sn(nid)));
    }
  }
  return absl::OkStatus();
}

absl::Status AddDnsSan(X509* cert, std::string_view dns) {
  NamesPtr names(sk_GENERAL_NAME_new_null());
  NamePtr name(GENERAL_NAME_new());
  ASN1_IA5STRING* ia5 = ASN1_IA5STRING_new();
  if (!names || !name || ia5 == nullptr ||
      ASN1_STRING_set(ia5, dns.data(), static_cast<int>(dns.size())) != 1) {
    ASN1_IA5STRING_free(ia5);
    return OpenSslError("building the subject alternative name");
  }
  GENERAL_NAME_set0_value(name.get(), GEN_DNS, ia5);  // `name` owns ia5 now.
  if (sk_GENERAL_NAME_push(names.get(), name.get()) == 0) {
    return OpenSslError("building the subject alternative name");
  }
  (void)name.release();  // `names` owns it now.
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return OpenSslError("adding the subject alternative name");
  }
  return absl::OkStatus();
}

}  // namespace

std::string PluginIdentity(std::string_view name, uint64_t generation) {
  return absl::StrCat(absl::string_view(name.data(), name.size()), ".g", generation,
                      ".plugin.paddock");
}

absl::StatusOr<std::unique_ptr<CertificateAuthority>> CertificateAuthority::Create(
    std::string_view common_name, absl::Duration lifetime) {
  if (common_name.empty() || common_name.size() > kMaxCommonName) {
    return absl::InvalidArgumentError("CA common name must be 1 to 64 bytes");
  }
  if (lifetime <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("CA lifetime must be positive");
  }
  absl::StatusOr<KeyPtr> key = NewP256Key();
  if (!key.ok()) return key.status();
  CertPtr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      X509_set_pubkey(cert.get(), key->get()) != 1) {
    return OpenSslError("creating the CA certificate");
  }
  const absl::Time now = absl::Now();
  const absl::Time not_after = now + lifetime;
  if (absl::Status st = SetRandomSerial(cert.get()); !st.ok()) return st;
  if (absl::Status st = SetValidity(cert.get(), now - kClockSkew, not_after); !st.ok()) return st;
  if (absl::Status st = SetSubject(cert.get(), common_name); !st.ok()) return st;
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())) != 1) {
    return OpenSslError("setting the CA issuer");
  }
  if (absl::Status st = AddExtensions(cert.get(), cert.get(),
                                      {{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
                                       {NID_key_usage, "critical,keyCertSign,cRLSign"},
                                       {NID_subject_key_identifier, "hash"}});
      !st.ok()) {
    return st;
  }
  if (X509_sign(cert.get(), key->get(), EVP_sha256()) <= 0) {
    return OpenSslError("self-signing the CA certificate");
  }
  absl::StatusOr<std::string> pem = CertPem(cert.get());
  if (!pem.ok()) return pem.status();
  return std::unique_ptr<CertificateAuthority>(
      new CertificateAuthority(std::move(*key), std::move(cert), std::move(*pem),
                               absl::FromTimeT(absl::ToTimeT(not_after))));
}

absl::StatusOr<IssuedCert> CertificateAuthority::Issue(std::string_view identity,
                                                       absl::Duration lifetime) const {
  if (!IsDnsName(identity)) {
    return absl::InvalidArgumentError(
        absl::StrCat("identity \"", absl::string_view(identity.data(), identity.size()),
                     "\" is not a lower-case DNS name"));
  }
  if (lifetime <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("certificate lifetime must be positive");
  }
  const absl::Time now = absl::Now();
  if (now >= not_after_) return absl::FailedPreconditionError("the CA has expired");
  absl::StatusOr<KeyPtr> key = NewP256Key();
  if (!key.ok()) return key.status();
  CertPtr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      X509_set_pubkey(cert.get(), key->get()) != 1 ||
      X509_set_issuer_name(cert.get(), X509_get_subject_name(cert_.get())) != 1) {
    return OpenSslError("creating a certificate");
  }
  if (absl::Status st = SetRandomSerial(cert.get()); !st.ok()) return st;
  if (absl::Status st =
          SetValidity(cert.get(), now - kClockSkew, std::min(now + lifetime, not_after_));
      !st.ok()) {
    return st;
  }
  if (absl::Status st = SetSubject(cert.get(), identity.size() <= kMaxCommonName ? identity : "");
      !st.ok()) {
    return st;
  }
  if (absl::Status st = AddExtensions(cert.get(), cert_.get(),
                                      {{NID_basic_constraints, "critical,CA:FALSE"},
                                       {NID_key_usage, "critical,digitalSignature"},
                                       {NID_ext_key_usage, "serverAuth,clientAuth"},
                                       {NID_subject_key_identifier, "hash"},
                                       {NID_authority_key_identifier, "keyid:always"}});
      !st.ok()) {
    return st;
  }
  if (absl::Status st = AddDnsSan(cert.get(), identity); !st.ok()) return st;
  {
    absl::MutexLock lock(&sign_mu_);
    if (X509_sign(cert.get(), key_.get(), EVP_sha256()) <= 0) {
      return OpenSslError("signing a certificate");
    }
  }
  IssuedCert out;
  absl::StatusOr<std::string> key_pem = KeyPem(key->get());
  if (!key_pem.ok()) return key_pem.status();
  absl::StatusOr<std::string> cert_pem = CertPem(cert.get());
  if (!cert_pem.ok()) return cert_pem.status();
  out.private_key_pem = std::move(*key_pem);
  out.certificate_pem = std::move(*cert_pem);
  return out;
}

}  // namespace paddock::host
