// Building a self-contained DescriptorPool from the FileDescriptorSet a plugin carries in
// its manifest, so the host can translate JSON calls for services it was never compiled
// with. The set is untrusted input: files may come in any order, be missing imports,
// repeat or contradict each other; all of that is an error, never a crash.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"

namespace paddock::host {

// Most files a manifest's descriptor set may hold.
inline constexpr int kMaxDescriptorFiles = 1024;

// Builds every file of `set` (in dependency order, whatever order the set lists them in)
// into a new pool with no underlay. Errors name the file: "descriptors: file
// \"hello.proto\": imports \"missing.proto\", which the set does not contain".
absl::StatusOr<std::unique_ptr<google::protobuf::DescriptorPool>> BuildDescriptorPool(
    const google::protobuf::FileDescriptorSet& set);

}  // namespace paddock::host
