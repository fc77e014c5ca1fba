#include "host/signature_policy.h"

#include <cerrno>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "host/file_util.h"

namespace paddock::host {
namespace {

using paddock::v1::SignatureSettings;

std::string NormalDir(const std::string& dir) {
  std::string d = std::filesystem::path(dir).lexically_normal().string();
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  return d;
}

}  // namespace

const char* SignaturePolicyName(SignaturePolicy policy) {
  switch (policy) {
    case SignatureSettings::REQUIRE:
      return "require";
    case SignatureSettings::OFF:
      return "off";
    default:
      return "warn";
  }
}

SignaturePolicy PolicyForPath(const paddock::v1::HostConfig& config, const std::string& path) {
  const auto& sig = config.signatures();
  const std::string dir = NormalDir(std::filesystem::path(path).parent_path().string());
  for (const auto& [d, policy] : sig.dirs()) {
    if (NormalDir(d) == dir) return policy;
  }
  return sig.policy();
}

bool AnySignatureChecked(const paddock::v1::HostConfig& config) {
  if (config.signatures().policy() != SignatureSettings::OFF) return true;
  for (const auto& [d, policy] : config.signatures().dirs()) {
    if (policy != SignatureSettings::OFF) return true;
  }
  return false;
}

SignatureCheck CheckPluginSignature(const paddock::v1::HostConfig& config, const TrustedKeys& keys,
                                    const std::string& path, const PluginImage& image) {
  SignatureCheck check;
  check.policy = PolicyForPath(config, path);
  if (check.policy == SignatureSettings::OFF) return check;
  const std::string prefix = absl::StrCat("signature ", check.policy == SignatureSettings::REQUIRE
                                                            ? "required"
                                                            : "check failed (policy warn)");
  const std::string sig_path = path + kSignatureSuffix;
  absl::StatusOr<std::string> text = ReadRegularFile(sig_path, kMaxSignatureFileBytes);
  if (!text.ok()) {
    check.status = absl::PermissionDeniedError(
        absl::IsNotFound(text.status())
            ? absl::StrCat(prefix, ": not signed (no ", sig_path,
                           "; sign it with `paddockctl sign --key KEY ", path, "`)")
            : absl::StrCat(prefix, ": ", text.status().message()));
    return check;
  }
  if (absl::Status s = VerifySignature(*text, image.sha256_hex(), keys); !s.ok()) {
    check.status =
        absl::PermissionDeniedError(absl::StrCat(prefix, ": ", sig_path, ": ", s.message()));
  }
  return check;
}

}  // namespace paddock::host
