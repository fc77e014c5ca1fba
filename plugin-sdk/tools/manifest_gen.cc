// paddock-manifest-gen: turns a plugin's manifest.json into a C++ source that embeds the
// complete manifest in the ELF section ".paddock_manifest" (format: manifest_section.h).
//
//   paddock-manifest-gen --manifest=<manifest.json> --out=<file.cc>
//                        [--descriptor-set=<file.desc> --proto=<file.proto>...]
//                        [--sdk-protocol=<semver>]
//
// manifest.json is the proto3 JSON form of paddock.v1.PluginManifest, parsed strictly
// (unknown fields are errors). The tool fills in what the build knows: sdk_protocol, the
// descriptors (every file of the descriptor set, imports included) and the services (every
// service defined in the --proto files, not in their imports). Run by paddock_add_plugin().
// --sdk-protocol replaces the protocol version the SDK speaks (kSdkProtocolVersion) in the
// manifest; it exists only to build test plugins that claim another version, so hosts'
// version checks can be tested (paddock_add_plugin(... SDK_PROTOCOL <v>)).
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"
#include "plugin-sdk/manifest_section.h"
#include "plugin-sdk/protocol.h"

namespace paddock::sdk {
namespace {

struct Args {
  std::string manifest, out, descriptor_set;
  std::string sdk_protocol = kSdkProtocolVersion;
  std::vector<std::string> protos;
};

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat("cannot read ", path));
  return s.str();
}

absl::StatusOr<Args> ParseArgs(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](std::string_view flag) -> const char* {
      return arg.rfind(flag, 0) == 0 ? argv[i] + flag.size() : nullptr;
    };
    if (const char* v = value("--manifest=")) {
      a.manifest = v;
    } else if (const char* v = value("--out=")) {
      a.out = v;
    } else if (const char* v = value("--descriptor-set=")) {
      a.descriptor_set = v;
    } else if (const char* v = value("--sdk-protocol=")) {
      a.sdk_protocol = v;
    } else if (const char* v = value("--proto=")) {
      a.protos.push_back(v);
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown argument ", arg));
    }
  }
  if (a.manifest.empty() || a.out.empty()) {
    return absl::InvalidArgumentError("--manifest and --out are required");
  }
  if (a.protos.empty() != a.descriptor_set.empty()) {
    return absl::InvalidArgumentError("--proto and --descriptor-set go together");
  }
  return a;
}

// Parses manifest.json strictly and rejects the fields the build fills in.
absl::StatusOr<v1::PluginManifest> ParseManifestJson(const std::string& path) {
  absl::StatusOr<std::string> json = ReadFile(path);
  if (!json.ok()) return json.status();
  v1::PluginManifest m;
  google::protobuf::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = false;
  if (auto st = google::protobuf::util::JsonStringToMessage(*json, &m, opts); !st.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", std::string(st.message())));
  }
  for (const char* field : {"sdk_protocol", "services", "descriptors"}) {
    const auto* fd = m.GetDescriptor()->FindFieldByName(field);
    const auto* refl = m.GetReflection();
    if (fd->is_repeated() ? refl->FieldSize(m, fd) > 0 : refl->HasField(m, fd)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": field \"", field, "\" is filled in by the build; remove it"));
    }
  }
  return m;
}

// Fills descriptors and services from the descriptor set; checks the set builds.
absl::Status FillFromDescriptors(const Args& a, v1::PluginManifest* m) {
  absl::StatusOr<std::string> bytes = ReadFile(a.descriptor_set);
  if (!bytes.ok()) return bytes.status();
  google::protobuf::FileDescriptorSet* set = m->mutable_descriptors();
  if (!set->ParseFromString(*bytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat(a.descriptor_set, " is not a FileDescriptorSet"));
  }
  google::protobuf::DescriptorPool pool;
  std::set<std::string> own(a.protos.begin(), a.protos.end());
  for (const google::protobuf::FileDescriptorProto& file : set->file()) {
    const google::protobuf::FileDescriptor* fd = pool.BuildFile(file);
    if (fd == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(a.descriptor_set, ": ", file.name(), " does not build (imports missing?)"));
    }
    if (own.erase(file.name()) == 0) continue;  // An import.
    for (int i = 0; i < fd->service_count(); ++i) {
      m->add_services()->set_name(fd->service(i)->full_name());
    }
  }
  if (!own.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(a.descriptor_set, " does not contain ", *own.begin()));
  }
  return absl::OkStatus();
}

std::string RenderSource(const std::string& section, const std::string& from) {
  std::string out =
      absl::StrCat("// Generated by paddock-manifest-gen from ", from, "; do not edit.\n",
                   "// The plugin's manifest in the ELF section ", kManifestSectionName,
                   " (see plugin-sdk/manifest_section.h).\n"
                   "extern \"C\" {\n"
                   "__attribute__((section(\"",
                   kManifestSectionName,
                   "\"), used))\n"
                   "extern const unsigned char paddock_manifest_section[] = {");
  for (size_t i = 0; i < section.size(); ++i) {
    if (i % 16 == 0) out.append("\n   ");
    absl::StrAppendFormat(&out, " 0x%02x,", static_cast<unsigned char>(section[i]));
  }
  out.append(
      "\n};\n"
      "extern const unsigned int paddock_manifest_section_size =\n"
      "    sizeof(paddock_manifest_section);\n"
      "}  // extern \"C\"\n");
  return out;
}

absl::Status Run(int argc, char** argv) {
  absl::StatusOr<Args> a = ParseArgs(argc, argv);
  if (!a.ok()) return a.status();
  absl::StatusOr<v1::PluginManifest> m = ParseManifestJson(a->manifest);
  if (!m.ok()) return m.status();
  m->set_sdk_protocol(a->sdk_protocol);
  if (!a->descriptor_set.empty()) {
    if (absl::Status st = FillFromDescriptors(*a, &*m); !st.ok()) return st;
  }
  if (absl::Status st = ValidateManifest(*m); !st.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(a->manifest, ": ", st.message()));
  }
  absl::StatusOr<std::string> section = EncodeManifestSection(*m);
  if (!section.ok()) return section.status();
  const std::string tmp = a->out + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << RenderSource(*section, a->manifest);
    if (!out.flush()) return absl::InternalError(absl::StrCat("cannot write ", tmp));
  }
  if (std::rename(tmp.c_str(), a->out.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot rename ", tmp, " to ", a->out));
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace paddock::sdk

int main(int argc, char** argv) {
  absl::Status st = paddock::sdk::Run(argc, argv);
  if (!st.ok()) {
    fprintf(stderr, "paddock-manifest-gen: %s\n", std::string(st.message()).c_str());
    return 1;
  }
  return 0;
}
