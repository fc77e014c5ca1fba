// Which signature policy applies to a plugin binary, and the check itself: reads
// <binary>.sig and verifies it against the digest of the image the host will execute.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "host/plugin_image.h"
#include "host/plugin_signature.h"
#include "paddock/v1/host_config.pb.h"

namespace paddock::host {

using SignaturePolicy = paddock::v1::SignatureSettings::Policy;

// "require", "warn" or "off".
const char* SignaturePolicyName(SignaturePolicy policy);

// The policy for the binary at `path`: signatures.dirs of its directory (the path's parent,
// compared with the expanded plugin_dirs spelling, trailing "/" ignored), else
// signatures.policy.
SignaturePolicy PolicyForPath(const paddock::v1::HostConfig& config, const std::string& path);

// True when some directory's policy is not OFF (so trusted keys are worth loading).
bool AnySignatureChecked(const paddock::v1::HostConfig& config);

// The outcome of checking one image.
struct SignatureCheck {
  SignaturePolicy policy = paddock::v1::SignatureSettings::OFF;
  absl::Status status;  // OK when verified or not checked (OFF); else why not.
  // True when the plugin must not run: the policy is REQUIRE and the check failed.
  bool refused() const { return policy == paddock::v1::SignatureSettings::REQUIRE && !status.ok(); }
};

// Checks `image` (loaded from `path`) under the policy of its directory: reads
// `path`.sig (at most kMaxSignatureFileBytes) and verifies it against image.sha256_hex()
// with `keys`. A failed check's message says what failed and how to fix it, e.g.
// "signature required: not signed (no /p/hello.sig; sign it with `paddockctl sign`)".
SignatureCheck CheckPluginSignature(const paddock::v1::HostConfig& config, const TrustedKeys& keys,
                                    const std::string& path, const PluginImage& image);

}  // namespace paddock::host
