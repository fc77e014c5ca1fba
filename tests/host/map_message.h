// A message type with integer- and bool-keyed maps, built from a hand-written descriptor
// (the host's own protos only key maps by string): paddock.test.Maps {
//   map<uint32, uint32> ports = 1; map<bool, string> flags = 2; Maps child = 3; } and a
// message-valued map, paddock.test.Named { map<string, Maps> named = 1; }.
#pragma once

#include <string>
#include <tuple>

#include "google/protobuf/descriptor.pb.h"

namespace paddock::test {

inline google::protobuf::FileDescriptorProto MapsFile() {
  namespace pb = google::protobuf;
  pb::FileDescriptorProto file;
  file.set_name("paddock_test_maps.proto");
  file.set_package("paddock.test");
  file.set_syntax("proto3");
  pb::DescriptorProto* maps = file.add_message_type();
  maps->set_name("Maps");
  auto add_map = [&](const char* name, const char* entry, int number,
                     pb::FieldDescriptorProto::Type key, pb::FieldDescriptorProto::Type value) {
    pb::DescriptorProto* e = maps->add_nested_type();
    e->set_name(entry);
    e->mutable_options()->set_map_entry(true);
    for (auto [n, num, type] : {std::tuple{"key", 1, key}, std::tuple{"value", 2, value}}) {
      pb::FieldDescriptorProto* f = e->add_field();
      f->set_name(n);
      f->set_number(num);
      f->set_type(type);
      f->set_label(pb::FieldDescriptorProto::LABEL_OPTIONAL);
    }
    pb::FieldDescriptorProto* f = maps->add_field();
    f->set_name(name);
    f->set_number(number);
    f->set_label(pb::FieldDescriptorProto::LABEL_REPEATED);
    f->set_type(pb::FieldDescriptorProto::TYPE_MESSAGE);
    f->set_type_name(std::string(".paddock.test.Maps.") + entry);
  };
  add_map("ports", "PortsEntry", 1, pb::FieldDescriptorProto::TYPE_UINT32,
          pb::FieldDescriptorProto::TYPE_UINT32);
  add_map("flags", "FlagsEntry", 2, pb::FieldDescriptorProto::TYPE_BOOL,
          pb::FieldDescriptorProto::TYPE_STRING);
  pb::FieldDescriptorProto* child = maps->add_field();
  child->set_name("child");
  child->set_number(3);
  child->set_label(pb::FieldDescriptorProto::LABEL_OPTIONAL);
  child->set_type(pb::FieldDescriptorProto::TYPE_MESSAGE);
  child->set_type_name(".paddock.test.Maps");
  // paddock.test.Named { map<string, Maps> named = 1; }: a message-valued map.
  pb::DescriptorProto* named = file.add_message_type();
  named->set_name("Named");
  pb::DescriptorProto* e = named->add_nested_type();
  e->set_name("NamedEntry");
  e->mutable_options()->set_map_entry(true);
  for (auto [n, num, type] : {std::tuple{"key", 1, pb::FieldDescriptorProto::TYPE_STRING},
                              std::tuple{"value", 2, pb::FieldDescriptorProto::TYPE_MESSAGE}}) {
    pb::FieldDescriptorProto* f = e->add_field();
    f->set_name(n);
    f->set_number(num);
    f->set_type(type);
    f->set_label(pb::FieldDescriptorProto::LABEL_OPTIONAL);
  }
  e->mutable_field(1)->set_type_name(".paddock.test.Maps");
  pb::FieldDescriptorProto* nf = named->add_field();
  nf->set_name("named");
  nf->set_number(1);
  nf->set_label(pb::FieldDescriptorProto::LABEL_REPEATED);
  nf->set_type(pb::FieldDescriptorProto::TYPE_MESSAGE);
  nf->set_type_name(".paddock.test.Named.NamedEntry");
  pb::ServiceDescriptorProto* svc = file.add_service();
  svc->set_name("MapService");
  pb::MethodDescriptorProto* m = svc->add_method();
  m->set_name("Set");
  m->set_input_type(".paddock.test.Maps");
  m->set_output_type(".paddock.test.Maps");
  return file;
}

}  // namespace paddock::test
