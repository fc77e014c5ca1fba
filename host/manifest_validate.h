// Field-by-field validation of a plugin manifest (untrusted: it comes out of the binary).
#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "host/semver.h"
#include "paddock/v1/manifest.pb.h"

namespace paddock::host {

// SDK protocol versions this host speaks: sdk_protocol must satisfy >=1.0.0 <2.0.0.
inline constexpr std::string_view kSupportedSdkProtocol = ">=1.0.0 <2.0.0";

// Limits on what a manifest may hold.
inline constexpr size_t kMaxManifestStringBytes = 256;
inline constexpr int kMaxManifestServices = 64;
inline constexpr int kMaxManifestSockets = 16;
inline constexpr int kMaxManifestSyscallGroups = 32;

// True when `v` is in kSupportedSdkProtocol.
bool IsSupportedSdkProtocol(const SemVer& v);

// Checks every field of `m`: name [a-z][a-z0-9-]{0,62}; version and sdk_protocol semantic
// versions, sdk_protocol within kSupportedSdkProtocol; strings valid UTF-8 of at most 256
// bytes; services named, unique, at most 64, each found in the descriptors; descriptors
// present and buildable; sandbox sizes sane, network and socket kinds known, capabilities
// known CAP_* names, syscall groups [a-z0-9_-]{1,64}, sockets at most 16 with unique valid
// names and parseable default addresses. Returns InvalidArgument naming the field:
// "sandbox.capabilities[1]: unknown capability \"CAP_FOO\"".
absl::Status ValidateManifest(const paddock::v1::PluginManifest& m);

}  // namespace paddock::host
