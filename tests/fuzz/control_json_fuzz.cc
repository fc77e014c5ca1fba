// Fuzzes the control API's JSON path: what `paddockctl call <plugin> <Method> '<json>'`
// makes paddockd do (host/control_service.cc): resolve the method name against the
// plugin's catalog (host/method_catalog.cc Resolve), then parse the JSON (host/json.cc)
// and map it onto the request type built from the plugin's descriptors (JsonToRequest,
// host/json_proto.cc); and print a plugin's reply bytes as JSON (ResponseToJson).
//
// The catalogs are the real ones: the descriptor sets of the bundled plugins' protos, as
// their manifests carry them, read from the build tree at start-up.
//
// Input: byte 0 picks the plugin, then the method spec up to the first '\n', then the
// JSON (also tried as raw reply bytes). Invariants beyond "no crash, no leak, no UB": a
// request that parses serializes to bytes that parse as the request type; printing it
// with host/json_proto's MessageToJson and mapping that back gives the same message.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_split.h"
#include "fuzz_check.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/message_differencer.h"
#include "host/json.h"
#include "host/json_proto.h"
#include "host/method_catalog.h"

namespace {

using paddock::host::MethodCatalog;

struct Target {
  std::shared_ptr<const MethodCatalog> catalog;
  std::unique_ptr<google::protobuf::DescriptorPool> pool;  // For the round trip.
  google::protobuf::DynamicMessageFactory factory;
};

std::vector<std::unique_ptr<Target>>* targets = nullptr;

// A manifest like the one paddock-manifest-gen writes: the descriptor set, and the
// services of the plugin's own files (not those of its imports).
std::unique_ptr<Target> Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  paddock::v1::PluginManifest m;
  if (!m.mutable_descriptors()->ParseFromString(bytes.str())) {
    std::fprintf(stderr, "control_json_fuzz: cannot read descriptor set %s\n", path.c_str());
    std::abort();
  }
  auto t = std::make_unique<Target>();
  t->pool = std::make_unique<google::protobuf::DescriptorPool>();
  for (const auto& f : m.descriptors().file()) {
    FUZZ_CHECK(t->pool->BuildFile(f) != nullptr);
    std::string_view name = f.name();
    if (name.starts_with("google/") || name.starts_with("paddock/v1/")) continue;
    for (const auto& s : f.service()) {
      m.add_services()->set_name(f.package().empty() ? s.name() : f.package() + "." + s.name());
    }
  }
  auto catalog = MethodCatalog::Create(m);
  if (!catalog.ok()) {
    std::fprintf(stderr, "control_json_fuzz: %s: %s\n", path.c_str(),
                 catalog.status().ToString().c_str());
    std::abort();
  }
  t->catalog = *catalog;
  return t;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  targets = new std::vector<std::unique_ptr<Target>>;
  for (absl::string_view p : absl::StrSplit(PADDOCK_FUZZ_DESCRIPTOR_SETS, ':', absl::SkipEmpty())) {
    targets->push_back(Load(std::string(p)));
  }
  FUZZ_CHECK(!targets->empty());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  Target& t = *(*targets)[data[0] % targets->size()];
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  size_t nl = rest.find('\n');
  std::string_view spec = rest.substr(0, nl);
  std::string_view json = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);

  auto method = t.catalog->Resolve(std::string(spec), MethodCatalog::Shape::kUnaryOrServerStream);
  if (!method.ok()) return 0;
  // The same bytes as a reply from the plugin (untrusted): parsed and printed by the host.
  (void)t.catalog->ResponseToJson(*method, json);
  auto bytes = t.catalog->JsonToRequest(*method, json);
  if (!bytes.ok()) return 0;

  const google::protobuf::Descriptor* type =
      t.pool->FindMessageTypeByName((*method)->input_type()->full_name());
  FUZZ_CHECK(type != nullptr);
  std::unique_ptr<google::protobuf::Message> msg(t.factory.GetPrototype(type)->New());
  FUZZ_CHECK(msg->ParseFromString(*bytes));

  std::string again_json = paddock::host::json::Serialize(paddock::host::MessageToJson(*msg));
  auto again = t.catalog->JsonToRequest(*method, again_json);
  if (!again.ok()) {
    std::fprintf(stderr, "MessageToJson output does not map back: %s\n%s\n",
                 again.status().ToString().c_str(), again_json.c_str());
  }
  FUZZ_CHECK(again.ok());
  std::unique_ptr<google::protobuf::Message> msg2(t.factory.GetPrototype(type)->New());
  FUZZ_CHECK(msg2->ParseFromString(*again));
  if (!google::protobuf::util::MessageDifferencer::Equals(*msg, *msg2)) {
    std::fprintf(stderr, "JSON round trip changed the message:\n%s\n---\n%s\n(via %s)\n",
                 msg->DebugString().c_str(), msg2->DebugString().c_str(), again_json.c_str());
    std::abort();
  }
  return 0;
}
