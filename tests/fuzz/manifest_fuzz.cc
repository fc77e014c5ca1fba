// Fuzzes what paddockd does with a file in its plugin directory before running anything:
// find and decode the manifest in the ELF (host/manifest_reader), validate it
// (host/manifest_validate), build its method catalog (host/method_catalog); and the SDK's
// own reading of the section content (plugin-sdk/manifest_section).
//
// Input: a whole file (an ELF with a .paddock_manifest section, or anything else), also
// tried as bare section content. Invariants checked beyond "no crash, no leak, no UB":
//   - a manifest the host validates builds a catalog (discovery accepts nothing start
//     refuses), and every method of the catalog resolves;
//   - encoding a decoded manifest and decoding it again gives back the same message.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "google/protobuf/util/message_differencer.h"
#include "host/manifest_reader.h"
#include "host/manifest_validate.h"
#include "host/method_catalog.h"
#include "plugin-sdk/manifest_section.h"

namespace {

using paddock::v1::PluginManifest;

void Exercise(const PluginManifest& m) {
  absl::Status host_ok = paddock::host::ValidateManifest(m);
  (void)paddock::sdk::ValidateManifest(m);
  if (host_ok.ok()) {
    // Discovery and start build the descriptors with the same function
    // (BuildManifestServices): a manifest the validator accepts must give a catalog.
    auto catalog = paddock::host::MethodCatalog::Create(m);
    if (!catalog.ok() && getenv("PADDOCK_FUZZ_VERBOSE") != nullptr) {
      std::fprintf(stderr, "validated, catalog refused: %s\n", catalog.status().ToString().c_str());
    }
    FUZZ_CHECK(catalog.ok());
    for (const auto& method : (*catalog)->MethodNames()) {
      auto resolved =
          (*catalog)->Resolve(method, paddock::host::MethodCatalog::Shape::kUnaryOrServerStream);
      FUZZ_CHECK(resolved.ok() ||
                 resolved.status().code() == absl::StatusCode::kFailedPrecondition);
    }
  }
  auto section = paddock::sdk::EncodeManifestSection(m);
  if (section.ok()) {
    auto back = paddock::sdk::DecodeManifestSection(*section);
    FUZZ_CHECK(back.ok());
    FUZZ_CHECK(google::protobuf::util::MessageDifferencer::Equals(m, *back));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto from_elf = paddock::host::ReadManifestFromElf(in);
  if (from_elf.ok()) Exercise(*from_elf);
  auto from_section = paddock::sdk::DecodeManifestSection(in);
  if (from_section.ok()) Exercise(*from_section);
  return 0;
}
