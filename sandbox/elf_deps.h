// Which files a dynamically linked image needs to start, found without running it: the
// loader (PT_INTERP) and every DT_NEEDED library, transitively, looked up the way
// glibc's ld.so does when it has no ld.so.cache (which is the case inside a plugin's
// root): DT_RPATH (when there is no DT_RUNPATH), DT_RUNPATH, then the system
// directories. The plugin's root then gets exactly these files, read-only, at these
// paths, so the loader inside it finds each library where it was found here.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace paddock::sandbox {

struct ElfSearch {
  // The loader's system search path (glibc on Debian x86_64, `ld.so --help`).
  std::vector<std::string> system_dirs = {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
                                          "/lib", "/usr/lib"};
  // Directory the main image was read from, for $ORIGIN in its RPATH/RUNPATH; empty
  // means such entries are skipped (an image in a memfd has no directory).
  std::string origin;
  // Bounds for hostile input.
  size_t max_libraries = 512;
};

struct ElfDeps {
  // PT_INTERP of the main image, e.g. "/lib64/ld-linux-x86-64.so.2"; empty when static.
  std::string interpreter;
  // Host paths of the needed libraries, each where the loader will look for it (not the
  // symlink-resolved file), in breadth-first load order, without duplicates.
  std::vector<std::string> libraries;
};

// Resolves the dependencies of the ELF image readable through `fd` (read with pread; the
// offset is untouched). Returns InvalidArgument for a file that is not a well-formed
// 64-bit little-endian ELF executable or shared object, NotFound naming the library and
// who needs it when a dependency cannot be found, and ResourceExhausted past the limits.
absl::StatusOr<ElfDeps> ResolveElfDeps(int fd, const ElfSearch& search = {});

}  // namespace paddock::sandbox
