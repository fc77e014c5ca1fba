// Field-by-field validation of a plugin manifest (untrusted: it comes out of the binary).
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"
#include "paddock/v1/manifest.pb.h"
#include "plugin-sdk/semver.h"

namespace paddock::host {

// SDK protocol versions this host speaks: sdk_protocol must satisfy >=1.0.0 <2.0.0.
inline constexpr std::string_view kSupportedSdkProtocol = ">=1.0.0 <2.0.0";

// Limits on what a manifest may hold.
inline constexpr size_t kMaxManifestStringBytes = 256;
inline constexpr int kMaxManifestServices = 64;
inline constexpr int kMaxManifestSockets = 16;
inline constexpr int kMaxManifestSyscallGroups = 32;

// True when `v` is in kSupportedSdkProtocol.
bool IsSupportedSdkProtocol(const sdk::SemVer& v);

// The services a manifest declares, resolved in a pool built from its own descriptors.
struct ManifestServices {
  // Owns every descriptor of the manifest (empty when it carries none). Never null.
  std::unique_ptr<google::protobuf::DescriptorPool> pool;
  // The services of `services()`, in manifest order; they point into `pool`.
  std::vector<const google::protobuf::ServiceDescriptor*> services;
};

// Checks `m.services()` against `m.descriptors()` and builds the descriptors (strictly:
// host/descriptor_pool.h) whenever the manifest carries any, listed services or not.
// This is the one place the host turns a manifest's descriptors into a pool: discovery
// (ValidateManifest) and start (MethodCatalog::Create) both call it, so a manifest accepted
// at discovery is never refused for its descriptors at start. InvalidArgument naming the
// field or descriptor file.
absl::StatusOr<ManifestServices> BuildManifestServices(const paddock::v1::PluginManifest& m);

// Checks every field of `m`: name [a-z][a-z0-9-]{0,62}; version and sdk_protocol semantic
// versions, sdk_protocol within kSupportedSdkProtocol; strings valid UTF-8 of at most 256
// bytes; sandbox sizes sane, network and socket kinds known, capabilities known CAP_*
// names, syscall groups [a-z0-9_-]{1,64}, sockets at most 16 with unique valid names and
// parseable default addresses; services and descriptors as BuildManifestServices does. Returns
// InvalidArgument naming the field: "sandbox.capabilities[1]: unknown capability \"CAP_FOO\"".
absl::Status ValidateManifest(const paddock::v1::PluginManifest& m);

}  // namespace paddock::host
