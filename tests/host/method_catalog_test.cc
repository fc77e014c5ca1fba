#include "host/method_catalog.h"

#include <catch2/catch.hpp>

#include "google/protobuf/descriptor.pb.h"
#include "map_message.h"
#include "paddock/v1/control.pb.h"

using paddock::host::MethodCatalog;
namespace pb = google::protobuf;

namespace {

// A manifest describing paddock.v1.Control, a service the catalog only knows by descriptor.
paddock::v1::PluginManifest ControlManifest() {
  paddock::v1::PluginManifest m;
  m.set_name("ctl");
  const pb::FileDescriptor* file = paddock::v1::ListRequest::descriptor()->file();
  pb::FileDescriptorProto proto;
  file->CopyTo(&proto);
  *m.mutable_descriptors()->add_file() = proto;
  m.add_services()->set_name("paddock.v1.Control");
  return m;
}

}  // namespace

TEST_CASE("methods resolve by short and full name; streaming is refused", "[method_catalog]") {
  auto c = MethodCatalog::Create(ControlManifest());
  REQUIRE(c.ok());
  auto status = (*c)->Resolve("Status");
  REQUIRE(status.ok());
  CHECK(MethodCatalog::FullPath(*status) == "/paddock.v1.Control/Status");
  CHECK((*c)->Resolve("paddock.v1.Control/Status").ok());
  CHECK((*c)->Resolve("/paddock.v1.Control/Status").ok());
  auto missing = (*c)->Resolve("Nope");
  CHECK(absl::IsNotFound(missing.status()));
  CHECK(missing.status().message().find("paddock.v1.Control/List") != std::string_view::npos);
  CHECK(absl::IsFailedPrecondition((*c)->Resolve("Logs").status()));
}

TEST_CASE("JSON round-trips through dynamic messages", "[method_catalog]") {
  auto c = MethodCatalog::Create(ControlManifest());
  REQUIRE(c.ok());
  auto m = (*c)->Resolve("Call");
  REQUIRE(m.ok());
  auto bytes = (*c)->JsonToRequest(*m, R"({"plugin":"hello","method":"Greet","timeoutMs":5})");
  REQUIRE(bytes.ok());
  paddock::v1::CallRequest parsed;
  REQUIRE(parsed.ParseFromString(*bytes));
  CHECK(parsed.plugin() == "hello");
  CHECK(parsed.timeout_ms() == 5);

  paddock::v1::CallResponse resp;
  resp.set_json("{}");
  resp.set_generation(7);
  auto json = (*c)->ResponseToJson(*m, resp.SerializeAsString());
  REQUIRE(json.ok());
  CHECK(json->find("\"generation\":\"7\"") != std::string::npos);
}

TEST_CASE("bad JSON and bad response bytes are clear errors", "[method_catalog]") {
  auto c = MethodCatalog::Create(ControlManifest());
  REQUIRE(c.ok());
  auto m = (*c)->Resolve("Call");
  REQUIRE(m.ok());
  for (const char* bad : {"{", "[]", R"({"plugin": 3})", R"({"unknown": 1})", "nul\0l"}) {
    INFO(bad);
    CHECK(absl::IsInvalidArgument((*c)->JsonToRequest(*m, bad).status()));
  }
  CHECK((*c)->JsonToRequest(*m, "").ok());
  CHECK(absl::IsDataLoss((*c)->ResponseToJson(*m, std::string("\xff\xff\xff", 3)).status()));
}

TEST_CASE("a manifest whose services are not in its descriptors is refused", "[method_catalog]") {
  auto m = ControlManifest();
  m.add_services()->set_name("paddock.v1.Missing");
  CHECK(absl::IsInvalidArgument(MethodCatalog::Create(m).status()));
}

TEST_CASE("server-streaming methods resolve when the caller can stream", "[method_catalog]") {
  auto c = MethodCatalog::Create(ControlManifest());
  REQUIRE(c.ok());
  auto logs = (*c)->Resolve("Logs", MethodCatalog::Shape::kUnaryOrServerStream);
  REQUIRE(logs.ok());
  CHECK((*logs)->server_streaming());
  CHECK((*c)->Resolve("List", MethodCatalog::Shape::kUnaryOrServerStream).ok());
}

TEST_CASE("one map key spelled two ways is refused, not sent twice", "[method_catalog]") {
  // protobuf's JSON parser takes {"80": 1, "0080": 0} as two entries for key 80; the plugin
  // would keep the last. Found by tests/fuzz/control_json_fuzz.
  paddock::v1::PluginManifest manifest;
  manifest.set_name("maps");
  *manifest.mutable_descriptors()->add_file() = paddock::test::MapsFile();
  manifest.add_services()->set_name("paddock.test.MapService");
  auto c = MethodCatalog::Create(manifest);
  REQUIRE(c.ok());
  auto m = (*c)->Resolve("Set");
  REQUIRE(m.ok());
  CHECK((*c)->JsonToRequest(*m, R"({"ports": {"80": 6166098, "443": 0}})").ok());
  auto dup = (*c)->JsonToRequest(*m, R"({"ports": {"80": 6166098, "0080": 0}})");
  REQUIRE(absl::IsInvalidArgument(dup.status()));
  CHECK(dup.status().message() ==
        "request JSON for paddock.test.Maps: ports: key 80 is given twice (written two ways)");
  CHECK(absl::IsInvalidArgument(
      (*c)->JsonToRequest(*m, R"({"child": {"ports": {"1": 1, "01": 1}}})").status()));
}
