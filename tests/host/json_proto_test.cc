#include "host/json_proto.h"

#include <catch2/catch.hpp>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "host/json.h"
#include "map_message.h"
#include "paddock/v1/lifecycle.pb.h"

namespace pb = google::protobuf;
using paddock::host::CheckMapKeysUnique;
using paddock::host::JsonToMessage;

namespace {

struct Maps {
  pb::DescriptorPool pool;
  pb::DynamicMessageFactory factory;
  std::unique_ptr<pb::Message> msg;
  explicit Maps(const char* type = "paddock.test.Maps") {
    REQUIRE(pool.BuildFile(paddock::test::MapsFile()) != nullptr);
    msg.reset(factory.GetPrototype(pool.FindMessageTypeByName(type))->New());
  }
  absl::Status Fill(const char* text) {
    auto v = paddock::host::json::Parse(text);
    REQUIRE(v.ok());
    return JsonToMessage(*v, msg.get());
  }
};

}  // namespace

TEST_CASE("json_proto fills integer- and bool-keyed maps", "[json_proto]") {
  Maps m;
  REQUIRE(m.Fill(R"({"ports": {"80": 1, "443": 2}, "flags": {"true": "t"}})").ok());
  CHECK(CheckMapKeysUnique(*m.msg).ok());
  CHECK(paddock::host::json::Serialize(paddock::host::MessageToJson(*m.msg)) ==
        R"({"ports":{"443":2,"80":1},"flags":{"true":"t"}})");
}

TEST_CASE("json_proto refuses one map key spelled two ways", "[json_proto]") {
  Maps m;
  absl::Status s = m.Fill(R"({"ports": {"80": 1, "0080": 0}})");
  REQUIRE(absl::IsInvalidArgument(s));
  CHECK(s.message() == R"(ports."0080": the same key as "80" (line 1, column 29))");
  s = m.Fill(R"({"child": {"ports": {"7": 1, "07": 2}}})");
  CHECK(s.message().find("the same key as \"7\"") != std::string_view::npos);
}

TEST_CASE("CheckMapKeysUnique finds a key given twice at any depth", "[json_proto]") {
  Maps m;
  const pb::Descriptor* d = m.msg->GetDescriptor();
  pb::Message* child =
      m.msg->GetReflection()->MutableMessage(m.msg.get(), d->FindFieldByName("child"));
  const pb::FieldDescriptor* ports = d->FindFieldByName("ports");
  for (uint32_t port : {80u, 443u, 80u}) {
    pb::Message* entry = child->GetReflection()->AddMessage(child, ports);
    entry->GetReflection()->SetUInt32(entry, entry->GetDescriptor()->map_key(), port);
  }
  absl::Status s = CheckMapKeysUnique(*m.msg);
  REQUIRE(absl::IsInvalidArgument(s));
  CHECK(s.message() == "child.ports: key 80 is given twice (written two ways)");
}

TEST_CASE("CheckMapKeysUnique looks inside message-valued maps", "[json_proto]") {
  Maps m("paddock.test.Named");
  REQUIRE(m.Fill(R"({"named": {"a": {"ports": {"1": 1}}, "b": {}}})").ok());
  CHECK(CheckMapKeysUnique(*m.msg).ok());
  const pb::Descriptor* d = m.msg->GetDescriptor();
  const pb::FieldDescriptor* named = d->FindFieldByName("named");
  pb::Message* entry = m.msg->GetReflection()->MutableRepeatedMessage(m.msg.get(), named, 0);
  pb::Message* value =
      entry->GetReflection()->MutableMessage(entry, entry->GetDescriptor()->map_value());
  pb::Message* port =
      value->GetReflection()->AddMessage(value, value->GetDescriptor()->FindFieldByName("ports"));
  port->GetReflection()->SetUInt32(port, port->GetDescriptor()->map_key(), 1);
  absl::Status s = CheckMapKeysUnique(*m.msg);
  REQUIRE(absl::IsInvalidArgument(s));
  CHECK(s.message() == R"(named."a".ports: key 1 is given twice (written two ways))");
}

TEST_CASE("MessageToJson prints an enum number the enum does not name as that number",
          "[json_proto]") {
  paddock::v1::MetricFamily family;
  family.set_name("x");
  family.GetReflection()->SetEnumValue(&family, family.GetDescriptor()->FindFieldByName("kind"),
                                       7);  // An open proto3 enum keeps it.
  CHECK(paddock::host::json::Serialize(paddock::host::MessageToJson(family)) ==
        R"({"name":"x","help":"","kind":7,"samples":[]})");
  family.set_kind(paddock::v1::MetricFamily::HISTOGRAM);
  CHECK(paddock::host::json::Serialize(paddock::host::MessageToJson(family)) ==
        R"({"name":"x","help":"","kind":"HISTOGRAM","samples":[]})");
}
