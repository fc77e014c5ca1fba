#include "host/descriptor_pool.h"

#include <catch2/catch.hpp>
#include <string>

#include "paddock/v1/lifecycle.pb.h"

namespace paddock::host {
namespace {

using google::protobuf::FileDescriptorSet;

// lifecycle.proto imports bootstrap.proto: listed importer first, to test the ordering.
FileDescriptorSet LifecycleSet() {
  FileDescriptorSet set;
  paddock::v1::DescribeRequest::descriptor()->file()->CopyTo(set.add_file());
  paddock::v1::Bootstrap::descriptor()->file()->CopyTo(set.add_file());
  return set;
}

std::string ErrorOf(const FileDescriptorSet& set) {
  auto pool = BuildDescriptorPool(set);
  REQUIRE_FALSE(pool.ok());
  return std::string(pool.status().message());
}

TEST_CASE("a descriptor set builds in any order", "[descriptor_pool]") {
  auto pool = BuildDescriptorPool(LifecycleSet());
  REQUIRE(pool.ok());
  const auto* svc = (*pool)->FindServiceByName("paddock.v1.PluginLifecycle");
  REQUIRE(svc != nullptr);
  CHECK(svc->FindMethodByName("Configure")->input_type()->full_name() ==
        "paddock.v1.ConfigSnapshot");
}

TEST_CASE("broken descriptor sets are refused with the file named", "[descriptor_pool]") {
  CHECK(ErrorOf(FileDescriptorSet()) == "descriptors: the set is empty");
  FileDescriptorSet missing = LifecycleSet();
  missing.mutable_file()->RemoveLast();
  CHECK(ErrorOf(missing) ==
        "descriptors: file \"paddock/v1/lifecycle.proto\": imports \"paddock/v1/bootstrap.proto\", "
        "which the set does not contain");
  FileDescriptorSet twice = LifecycleSet();
  *twice.add_file() = twice.file(1);
  CHECK(ErrorOf(twice) == "descriptors: file \"paddock/v1/bootstrap.proto\" appears twice");
  FileDescriptorSet cycle = LifecycleSet();
  cycle.mutable_file(1)->add_dependency("paddock/v1/lifecycle.proto");
  CHECK(ErrorOf(cycle).ends_with("is part of an import cycle"));
  FileDescriptorSet unnamed = LifecycleSet();
  unnamed.mutable_file(0)->clear_name();
  CHECK(ErrorOf(unnamed) == "descriptors: a file has no name");
  FileDescriptorSet bad = LifecycleSet();
  bad.mutable_file(1)->mutable_message_type(0)->mutable_field(0)->set_name("bad name");
  CHECK(ErrorOf(bad).starts_with("descriptors: file \"paddock/v1/bootstrap.proto\""));
  FileDescriptorSet many;
  for (int i = 0; i <= kMaxDescriptorFiles; ++i) many.add_file()->set_name(std::to_string(i));
  CHECK(ErrorOf(many) == "descriptors: 1025 files, more than the limit of 1024");
}

}  // namespace
}  // namespace paddock::host
