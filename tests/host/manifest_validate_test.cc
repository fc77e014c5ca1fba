#include "host/manifest_validate.h"

#include <catch2/catch.hpp>
#include <functional>
#include <string>

#include "host/method_catalog.h"
#include "host/plugin_fixture.h"

namespace paddock::host {
namespace {

using paddock::v1::PluginManifest;
using testing::ValidManifest;

std::string ErrorAfter(const std::function<void(PluginManifest*)>& change) {
  PluginManifest m = ValidManifest();
  change(&m);
  absl::Status s = ValidateManifest(m);
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  return std::string(s.message());
}

TEST_CASE("a complete manifest is valid", "[manifest_validate]") {
  CHECK(ValidateManifest(ValidManifest()).ok());
  PluginManifest m = ValidManifest();
  m.mutable_sandbox()->Clear();  // Everything default: no sockets, no capabilities.
  m.clear_description();
  m.set_sdk_protocol("1.99.7+build.5");
  CHECK(ValidateManifest(m).ok());
}

TEST_CASE("manifest name, versions and strings", "[manifest_validate]") {
  CHECK(ErrorAfter([](auto* m) { m->clear_name(); }) == "name: missing");
  CHECK(ErrorAfter([](auto* m) { m->set_name("Hello"); }) ==
        "name: \"Hello\" must match [a-z][a-z0-9-]{0,62}");
  CHECK(ErrorAfter([](auto* m) { m->set_name(std::string(300, 'a')); }) ==
        "name: is 300 bytes, more than the limit of 256");
  CHECK(ErrorAfter([](auto* m) { m->clear_version(); }) == "version: missing");
  CHECK(ErrorAfter([](auto* m) { m->set_version("1.2"); }) ==
        "version: \"1.2\" is not a semantic version (MAJOR.MINOR.PATCH, numbers without leading "
        "zeros)");
  CHECK(ErrorAfter([](auto* m) { m->clear_sdk_protocol(); }) == "sdk_protocol: missing");
  CHECK(ErrorAfter([](auto* m) {
          m->set_sdk_protocol("v1.0.0");
        }).starts_with("sdk_protocol: \"v1.0.0\" is not a semantic version"));
  CHECK(ErrorAfter([](auto* m) { m->set_sdk_protocol("2.0.0"); }) ==
        "sdk_protocol: plugin speaks SDK protocol 2.0.0, this host supports >=1.0.0 <2.0.0 "
        "(rebuild the plugin with a matching SDK)");
  CHECK(ErrorAfter([](auto* m) {
          m->set_sdk_protocol("0.9.0");
        }).starts_with("sdk_protocol: plugin speaks SDK protocol 0.9.0"));
  CHECK(ErrorAfter([](auto* m) {
          m->set_sdk_protocol("1.1.0-rc1");
        }).starts_with("sdk_protocol: plugin speaks SDK protocol 1.1.0-rc1"));
  CHECK(ErrorAfter([](auto* m) { m->set_description("bad \xff utf8"); }) ==
        "description: is not valid UTF-8");
  CHECK(ErrorAfter([](auto* m) { m->set_description("bell \x07"); }) ==
        "description: contains control characters");
  CHECK(ErrorAfter([](auto* m) { m->set_description(std::string(257, 'd')); }) ==
        "description: is 257 bytes, more than the limit of 256");
}

TEST_CASE("manifest sandbox request", "[manifest_validate]") {
  CHECK(
      ErrorAfter([](auto* m) { m->mutable_sandbox()->set_memory_bytes(1000); }) ==
      "sandbox.memory_bytes: must be 0 (host default) or in [4194304, 1125899906842624], got 1000");
  CHECK(ErrorAfter([](auto* m) { m->mutable_sandbox()->set_cpu_millis(5); }) ==
        "sandbox.cpu_millis: must be 0 (host default) or in [10, 1024000], got 5");
  CHECK(ErrorAfter([](auto* m) { m->mutable_sandbox()->set_pids(5'000'000); }) ==
        "sandbox.pids: must be at most 4194304, got 5000000");
  CHECK(ErrorAfter([](auto* m) {
          m->mutable_sandbox()->set_network(static_cast<paddock::v1::NetworkMode>(7));
        }) == "sandbox.network: unknown network mode 7");
  CHECK(ErrorAfter([](auto* m) {
          m->mutable_sandbox()->add_capabilities("CAP_BPF");
          m->mutable_sandbox()->add_capabilities("CAP_FOO");
        }) == "sandbox.capabilities[1]: unknown capability \"CAP_FOO\"");
  CHECK(ErrorAfter([](auto* m) {
          m->mutable_sandbox()->add_capabilities("CAP_BPF");
          m->mutable_sandbox()->add_capabilities("CAP_BPF");
        }) == "sandbox.capabilities[1]: \"CAP_BPF\" is listed twice");
  CHECK(ErrorAfter([](auto* m) { m->mutable_sandbox()->add_syscall_groups("Net Raw"); }) ==
        "sandbox.syscall_groups[0]: syscall group names must match [a-z0-9_-]{1,64}, got \"Net "
        "Raw\"");
  CHECK(ErrorAfter([](auto* m) {
          for (int i = 0; i < 33; ++i)
            m->mutable_sandbox()->add_syscall_groups("g" + std::to_string(i));
        }) == "sandbox.syscall_groups: 33 entries, more than the limit of 32");
}

TEST_CASE("manifest socket requests", "[manifest_validate]") {
  CHECK(ErrorAfter([](auto* m) { m->mutable_sandbox()->mutable_sockets(0)->clear_name(); }) ==
        "sandbox.sockets[0].name: missing");
  CHECK(ErrorAfter([](auto* m) { m->mutable_sandbox()->mutable_sockets(0)->set_name("UDP"); }) ==
        "sandbox.sockets[0].name: \"UDP\" must match [a-z][a-z0-9_-]{0,31}");
  CHECK(ErrorAfter([](auto* m) {
          *m->mutable_sandbox()->add_sockets() = m->sandbox().sockets(0);
        }) == "sandbox.sockets[1].name: \"udp\" is used twice");
  CHECK(ErrorAfter([](auto* m) {
          m->mutable_sandbox()->mutable_sockets(0)->set_kind(
              static_cast<paddock::v1::SocketRequest::Kind>(9));
        }) == "sandbox.sockets[0].kind: unknown socket kind 9");
  CHECK(ErrorAfter([](auto* m) {
          m->mutable_sandbox()->mutable_sockets(0)->set_default_address("127.0.0.1:99999");
        }) ==
        "sandbox.sockets[0].default_address: \"127.0.0.1:99999\": port must be a number from "
        "0 to 65535");
  CHECK(ErrorAfter([](auto* m) {
          m->mutable_sandbox()->mutable_sockets(0)->set_receive_buffer_bytes(1u << 30);
        }) == "sandbox.sockets[0].receive_buffer_bytes: must be at most 268435456, got 1073741824");
  CHECK(ErrorAfter([](auto* m) {
          for (int i = 0; i < 16; ++i)
            m->mutable_sandbox()->add_sockets()->set_name("s" + std::to_string(i));
        }) == "sandbox.sockets: 17 sockets, more than the limit of 16");
  PluginManifest no_default = ValidManifest();
  no_default.mutable_sandbox()->mutable_sockets(0)->clear_default_address();
  CHECK(ValidateManifest(no_default).ok());  // The host config must then give the address.
}

TEST_CASE("manifest services and descriptors", "[manifest_validate]") {
  CHECK(ErrorAfter([](auto* m) { m->clear_descriptors(); }) ==
        "descriptors: missing (the SDK build tool embeds them; rebuild the plugin)");
  CHECK(ErrorAfter([](auto* m) { m->mutable_services(0)->clear_name(); }) ==
        "services[0].name: missing");
  CHECK(ErrorAfter([](auto* m) { m->mutable_services(0)->set_name("grpc..Health"); }) ==
        "services[0].name: \"grpc..Health\" is not a fully-qualified service name");
  CHECK(ErrorAfter([](auto* m) { m->add_services()->set_name("grpc.health.v1.Health"); }) ==
        "services[1].name: \"grpc.health.v1.Health\" is listed twice");
  CHECK(ErrorAfter([](auto* m) { m->add_services()->set_name("paddock.nope.v1.Nope"); }) ==
        "services[1].name: service \"paddock.nope.v1.Nope\" is not defined in the manifest's "
        "descriptors");
  CHECK(ErrorAfter([](auto* m) {
          for (int i = 0; i < 65; ++i) m->add_services()->set_name("a.S" + std::to_string(i));
        }) == "services: 66 services, more than the limit of 64");
  CHECK(ErrorAfter([](auto* m) {
          m->mutable_descriptors()
              ->mutable_file(0)
              ->mutable_message_type(0)
              ->mutable_field(0)
              ->set_type_name(".nowhere.Missing");
          m->mutable_descriptors()
              ->mutable_file(0)
              ->mutable_message_type(0)
              ->mutable_field(0)
              ->set_type(google::protobuf::FieldDescriptorProto::TYPE_MESSAGE);
        }).starts_with("descriptors: file \"grpc/health/v1/health.proto\""));
}

// Found by the manifest fuzz target (tests/fuzz/README.md, findings): a bare section with no
// services whose descriptors held a message named with invalid UTF-8 passed discovery (the
// validator built descriptors only for listed services) and was refused at start by the
// method catalog. Both now build the descriptors with BuildManifestServices.
TEST_CASE("discovery refuses every manifest start would refuse", "[manifest_validate]") {
  PluginManifest m = ValidManifest();
  m.clear_services();
  m.mutable_descriptors()->mutable_file(0)->mutable_message_type(0)->set_name("Health\xff\xfe");
  absl::Status at_discovery = ValidateManifest(m);
  absl::Status at_start = MethodCatalog::Create(m).status();
  CHECK(at_discovery.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(at_discovery.message())
            .starts_with("descriptors: file \"grpc/health/v1/health.proto\""));
  CHECK(at_start == at_discovery);

  // Without services and without descriptors a plugin serves only the lifecycle.
  PluginManifest bare = ValidManifest();
  bare.clear_services();
  bare.clear_descriptors();
  CHECK(ValidateManifest(bare).ok());
  auto catalog = MethodCatalog::Create(bare);
  REQUIRE(catalog.ok());
  CHECK((*catalog)->MethodNames().empty());
}

}  // namespace
}  // namespace paddock::host
