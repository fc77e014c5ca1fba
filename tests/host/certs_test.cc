// Tests of the host CA: what the certificates contain, that they verify, and what Issue costs.
#include "host/certs.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "openssl/bio.h"
#include "openssl/bn.h"
#include "openssl/pem.h"
#include "openssl/x509v3.h"

namespace paddock::host {
namespace {

struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

X509Ptr ParseCert(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), (int)pem.size()),
                                                BIO_free);
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

CertificateAuthority::KeyPtr ParseKey(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), (int)pem.size()),
                                                BIO_free);
  return CertificateAuthority::KeyPtr(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

std::vector<std::string> DnsSans(X509* cert) {
  std::vector<std::string> out;
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
    if (n->type == GEN_DNS) {
      out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(n->d.dNSName)),
                       ASN1_STRING_length(n->d.dNSName));
    }
  }
  GENERAL_NAMES_free(names);
  return out;
}

// Verifies `leaf` against `ca` for `purpose` (X509_PURPOSE_SSL_CLIENT/SERVER).
bool Verifies(X509* leaf, X509* ca, int purpose) {
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), X509_STORE_free);
  X509_STORE_add_cert(store.get(), ca);
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(X509_STORE_CTX_new(),
                                                                      X509_STORE_CTX_free);
  X509_STORE_CTX_init(ctx.get(), store.get(), leaf, nullptr);
  X509_STORE_CTX_set_purpose(ctx.get(), purpose);
  return X509_verify_cert(ctx.get()) == 1;
}

TEST_CASE("identities", "[certs]") {
  CHECK(PluginIdentity("hello", 3) == "hello.g3.plugin.paddock");
  CHECK(std::string(kHostIdentity) == "paddockd.host.paddock");
}

TEST_CASE("the CA is a self-signed P-256 CA valid from 5 minutes ago", "[certs]") {
  auto ca = CertificateAuthority::Create("Paddock test CA", absl::Hours(24));
  REQUIRE(ca.ok());
  X509Ptr cert = ParseCert((*ca)->certificate_pem());
  REQUIRE(cert);
  CHECK(X509_check_ca(cert.get()) == 1);
  CHECK(X509_check_issued(cert.get(), cert.get()) == X509_V_OK);
  EVP_PKEY* pub = X509_get0_pubkey(cert.get());
  CHECK(X509_verify(cert.get(), pub) == 1);
  CHECK(EVP_PKEY_is_a(pub, "EC"));
  char curve[64] = {};
  size_t len = 0;
  EVP_PKEY_get_group_name(pub, curve, sizeof(curve), &len);
  CHECK(std::string(curve) == "prime256v1");
  int days = 0, secs = 0;
  REQUIRE(ASN1_TIME_diff(&days, &secs, nullptr, X509_get0_notBefore(cert.get())) == 1);
  CHECK(days == 0);
  CHECK(secs <= -290);
  CHECK(secs >= -310);
}

TEST_CASE("a leaf carries its identity and verifies as client and server", "[certs]") {
  auto ca = CertificateAuthority::Create("Paddock test CA", absl::Hours(24));
  REQUIRE(ca.ok());
  auto issued = (*ca)->Issue("hello.g1.plugin.paddock", absl::Hours(1));
  REQUIRE(issued.ok());
  X509Ptr leaf = ParseCert(issued->certificate_pem);
  X509Ptr root = ParseCert((*ca)->certificate_pem());
  REQUIRE(leaf);
  CHECK(DnsSans(leaf.get()) == std::vector<std::string>{"hello.g1.plugin.paddock"});
  CHECK(X509_check_host(leaf.get(), "hello.g1.plugin.paddock", 0, 0, nullptr) == 1);
  CHECK(X509_check_host(leaf.get(), "hello.g2.plugin.paddock", 0, 0, nullptr) != 1);
  CHECK(X509_check_ca(leaf.get()) == 0);
  CHECK((X509_get_extended_key_usage(leaf.get()) & (XKU_SSL_SERVER | XKU_SSL_CLIENT)) ==
        (XKU_SSL_SERVER | XKU_SSL_CLIENT));
  CHECK(Verifies(leaf.get(), root.get(), X509_PURPOSE_SSL_CLIENT));
  CHECK(Verifies(leaf.get(), root.get(), X509_PURPOSE_SSL_SERVER));

  auto key = ParseKey(issued->private_key_pem);
  REQUIRE(key);
  CHECK(X509_check_private_key(leaf.get(), key.get()) == 1);
  CHECK(issued->private_key_pem.find("BEGIN PRIVATE KEY") != std::string::npos);

  const BIGNUM* serial = nullptr;
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn(
      ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf.get()), nullptr), BN_free);
  serial = bn.get();
  CHECK(BN_num_bits(serial) == 127);
  CHECK_FALSE(BN_is_negative(serial));

  // Lifetime: about an hour from now.
  int days = 0, secs = 0;
  REQUIRE(ASN1_TIME_diff(&days, &secs, nullptr, X509_get0_notAfter(leaf.get())) == 1);
  CHECK(days == 0);
  CHECK(secs > 3590);
  CHECK(secs <= 3600);
}

TEST_CASE("another CA's leaf does not verify", "[certs]") {
  auto a = CertificateAuthority::Create("A", absl::Hours(1));
  auto b = CertificateAuthority::Create("B", absl::Hours(1));
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  auto issued = (*b)->Issue(kHostIdentity, absl::Hours(1));
  REQUIRE(issued.ok());
  X509Ptr leaf = ParseCert(issued->certificate_pem);
  X509Ptr root_a = ParseCert((*a)->certificate_pem());
  CHECK_FALSE(Verifies(leaf.get(), root_a.get(), X509_PURPOSE_SSL_CLIENT));
}

TEST_CASE("leaves never outlive the CA", "[certs]") {
  auto ca = CertificateAuthority::Create("short", absl::Hours(1));
  REQUIRE(ca.ok());
  auto issued = (*ca)->Issue("x.paddock", absl::Hours(24 * 365));
  REQUIRE(issued.ok());
  X509Ptr leaf = ParseCert(issued->certificate_pem);
  X509Ptr root = ParseCert((*ca)->certificate_pem());
  CHECK(ASN1_TIME_compare(X509_get0_notAfter(leaf.get()), X509_get0_notAfter(root.get())) <= 0);
}

TEST_CASE("bad input is refused with a reason", "[certs]") {
  CHECK_FALSE(CertificateAuthority::Create("", absl::Hours(1)).ok());
  CHECK_FALSE(CertificateAuthority::Create(std::string(65, 'x'), absl::Hours(1)).ok());
  CHECK_FALSE(CertificateAuthority::Create("ok", absl::ZeroDuration()).ok());
  auto ca = CertificateAuthority::Create("ok", absl::Hours(1));
  REQUIRE(ca.ok());
  for (const char* bad :
       {"", "UPPER.paddock", "a,DNS:evil", "a..b", "-a.b", "a-.b", "a b", "a/b", "x.\xc3\xa9"}) {
    INFO(bad);
    CHECK((*ca)->Issue(bad, absl::Hours(1)).status().code() == absl::StatusCode::kInvalidArgument);
  }
  CHECK_FALSE((*ca)->Issue(std::string(64, 'a') + ".paddock", absl::Hours(1)).ok());
  CHECK_FALSE((*ca)->Issue("a.paddock", -absl::Seconds(1)).ok());
  // Long identities (beyond a 64-byte CN) still work: the SAN carries them.
  std::string longest = PluginIdentity(std::string(63, 'p'), UINT64_MAX);
  auto issued = (*ca)->Issue(longest, absl::Hours(1));
  REQUIRE(issued.ok());
  CHECK(DnsSans(ParseCert(issued->certificate_pem).get()) == std::vector<std::string>{longest});
}

TEST_CASE("Issue is thread-safe, serials are unique, and it is cheap", "[certs]") {
  auto ca = CertificateAuthority::Create("perf", absl::Hours(1));
  REQUIRE(ca.ok());
  constexpr int kThreads = 4, kPerThread = 50;
  std::vector<std::vector<std::string>> pems(kThreads);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  const auto t0 = std::chrono::steady_clock::now();
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto issued = (*ca)->Issue(PluginIdentity("p", static_cast<uint64_t>(i)), absl::Hours(1));
        if (!issued.ok()) {
          ++failures;
          continue;
        }
        pems[t].push_back(issued->certificate_pem);
      }
    });
  }
  for (auto& t : threads) t.join();
  const double total_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  CHECK(failures == 0);
  std::set<std::string> serials;
  for (auto& v : pems) {
    for (auto& pem : v) {
      X509Ptr c = ParseCert(pem);
      std::unique_ptr<BIGNUM, decltype(&BN_free)> bn(
          ASN1_INTEGER_to_BN(X509_get0_serialNumber(c.get()), nullptr), BN_free);
      char* hex = BN_bn2hex(bn.get());
      serials.insert(hex);
      OPENSSL_free(hex);
    }
  }
  CHECK(serials.size() == kThreads * kPerThread);

  // Single-threaded cost, the figure that matters for spawn latency.
  constexpr int kRounds = 200;
  const auto t1 = std::chrono::steady_clock::now();
  for (int i = 0; i < kRounds; ++i)
    REQUIRE((*ca)->Issue("p.g1.plugin.paddock", absl::Hours(1)).ok());
  const double per_issue_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count() /
      kRounds;
  WARN("Issue(): " << per_issue_ms << " ms each single-threaded; " << total_ms << " ms for "
                   << kThreads * kPerThread << " on " << kThreads << " threads");
  // Generous bound for a shared, loaded CI machine; the measured figure is ~0.1-0.3 ms
  // (~4.5-7 ms under ASan+UBSan on a loaded machine, hence its own bound there).
#ifdef PADDOCK_SANITIZER_BUILD
  CHECK(per_issue_ms < 25.0);
#else
  CHECK(per_issue_ms < 5.0);
#endif
}

}  // namespace
}  // namespace paddock::host
