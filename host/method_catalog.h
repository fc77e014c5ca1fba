// The methods a plugin serves, learned from the descriptors in its manifest, and the
// JSON <-> protobuf translation that lets `paddockctl call` reach any plugin's unary method,
// including plugins whose protos the host was never compiled with.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "paddock/v1/manifest.pb.h"

namespace paddock::host {

// Immutable after Create; thread-safe for concurrent use.
class MethodCatalog {
 public:
  // Builds the catalog from `manifest.descriptors()` with BuildManifestServices (the same
  // check ValidateManifest makes at discovery); only the services listed in
  // `manifest.services()` are callable. InvalidArgument if the descriptors do not build.
  static absl::StatusOr<std::shared_ptr<const MethodCatalog>> Create(
      const paddock::v1::PluginManifest& manifest);

  // Which method shapes a caller can drive.
  enum class Shape { kUnary, kUnaryOrServerStream };

  // Finds a method by "Method" (unique across the plugin's services), "pkg.Service/Method"
  // or "/pkg.Service/Method". NotFound lists what exists; FailedPrecondition for a shape
  // the caller cannot drive (client streaming never; server streaming unless allowed).
  absl::StatusOr<const google::protobuf::MethodDescriptor*> Resolve(
      std::string_view spec, Shape shape = Shape::kUnary) const;

  // Parses `json` ("" = empty message) as the method's request and serializes it.
  // InvalidArgument names the problem.
  absl::StatusOr<std::string> JsonToRequest(const google::protobuf::MethodDescriptor* m,
                                            std::string_view json) const;
  // Parses serialized `bytes` as the method's response and prints it as JSON.
  absl::StatusOr<std::string> ResponseToJson(const google::protobuf::MethodDescriptor* m,
                                             std::string_view bytes) const;

  // "/pkg.Service/Method" for a method.
  static std::string FullPath(const google::protobuf::MethodDescriptor* m);

  // Every callable method as "pkg.Service/Method".
  std::vector<std::string> MethodNames() const;

 private:
  MethodCatalog() = default;

  std::unique_ptr<google::protobuf::DescriptorPool> pool_;  // Owns services_' descriptors.
  std::unique_ptr<google::protobuf::DynamicMessageFactory> factory_;
  std::vector<const google::protobuf::ServiceDescriptor*> services_;
};

}  // namespace paddock::host
