// paddock-plugin-clone: copies a plugin binary under another manifest name, so one host can
// run many instances of the same plugin (the host refuses two plugins with one name).
//
//   paddock-plugin-clone SRC NAME OUT
//
// The manifest section is rewritten in place with objcopy --update-section. The SDK reads
// its manifest from the same bytes at run time, so the copy also calls itself NAME. NAME
// must not make the section grow (the section is part of a loaded segment): use a name
// no longer than the original, e.g. "h0042" for "hello".
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "host/manifest_reader.h"

namespace {

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "paddock-plugin-clone: %s\n", why.c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) Die("usage: paddock-plugin-clone SRC NAME OUT");
  const std::string src = argv[1], name = argv[2], out = argv[3];
  std::ifstream in(src, std::ios::binary);
  if (!in) Die("cannot read " + src);
  std::stringstream bytes;
  bytes << in.rdbuf();
  auto manifest = paddock::host::ReadManifestFromElf(bytes.str());
  if (!manifest.ok()) Die(src + ": " + std::string(manifest.status().message()));
  const size_t old_size = paddock::host::EncodeManifestSection(*manifest).size();
  manifest->set_name(name);
  const size_t new_size = paddock::host::EncodeManifestSection(*manifest).size();
  if (new_size > old_size) Die("name \"" + name + "\" is longer than the original's");
  const std::string section = paddock::host::EncodeManifestSection(*manifest, old_size - new_size);
  const std::string section_file = out + ".section";
  std::ofstream(section_file, std::ios::binary) << section;
  const std::string cmd = "objcopy --update-section .paddock_manifest='" + section_file + "' '" +
                          src + "' '" + out + "'";
  int rc = std::system(cmd.c_str());
  unlink(section_file.c_str());
  if (rc != 0) Die("objcopy failed: " + cmd);
  return 0;
}
