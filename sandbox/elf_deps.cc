#include "sandbox/elf_deps.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "paddock/errno_status.h"
#include "paddock/fd.h"

namespace paddock::sandbox {
namespace {

// Bounds on what one ELF file may make us read.
constexpr size_t kMaxProgramHeaders = 4096;
constexpr size_t kMaxInterpBytes = 4096;
constexpr size_t kMaxDynamicBytes = 1 << 20;
constexpr size_t kMaxStrtabBytes = 16 << 20;

// What the loader needs from one ELF file.
struct ElfInfo {
  uint16_t machine = 0;
  std::string interpreter;
  std::vector<std::string> needed;
  std::vector<std::string> rpath;    // Split on ':'.
  std::vector<std::string> runpath;  // Split on ':'.
};

absl::Status ReadExact(int fd, void* buf, size_t size, uint64_t offset, std::string_view what) {
  size_t done = 0;
  while (done < size) {
    ssize_t n =
        ::pread(fd, static_cast<char*>(buf) + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, absl::StrCat("elf deps: read ", std::string(what)));
    if (n == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("elf deps: ", std::string(what), " is truncated"));
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::StatusOr<ElfInfo> ParseElf(int fd, const std::string& what) {
  auto bad = [&what](std::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("elf deps: ", what, ": ", std::string(why)));
  };
  Elf64_Ehdr eh{};
  if (absl::Status s = ReadExact(fd, &eh, sizeof(eh), 0, what); !s.ok()) return s;
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) return bad("not an ELF file");
  if (eh.e_ident[EI_CLASS] != ELFCLASS64) return bad("not a 64-bit ELF file");
  if (eh.e_ident[EI_DATA] != ELFDATA2LSB) return bad("not a little-endian ELF file");
  if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) return bad("not an executable or shared object");
  if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > kMaxProgramHeaders) {
    return bad("malformed program header table");
  }
  std::vector<Elf64_Phdr> ph(eh.e_phnum);
  if (absl::Status s = ReadExact(fd, ph.data(), ph.size() * sizeof(Elf64_Phdr), eh.e_phoff, what);
      !s.ok()) {
    return s;
  }
  ElfInfo info;
  info.machine = eh.e_machine;
  const Elf64_Phdr* dynamic = nullptr;
  for (const Elf64_Phdr& p : ph) {
    if (p.p_type == PT_INTERP) {
      if (p.p_filesz == 0 || p.p_filesz > kMaxInterpBytes) return bad("malformed PT_INTERP");
      std::string interp(p.p_filesz, '\0');
      if (absl::Status s = ReadExact(fd, interp.data(), interp.size(), p.p_offset, what); !s.ok()) {
        return s;
      }
      interp.resize(std::strlen(interp.c_str()));
      if (interp.empty() || interp[0] != '/') return bad("PT_INTERP is not an absolute path");
      info.interpreter = std::move(interp);
    } else if (p.p_type == PT_DYNAMIC) {
      dynamic = &p;
    }
  }
  if (dynamic == nullptr) return info;  // Statically linked.

  if (dynamic->p_filesz > kMaxDynamicBytes) return bad("PT_DYNAMIC too large");
  std::vector<Elf64_Dyn> dyn(dynamic->p_filesz / sizeof(Elf64_Dyn));
  if (absl::Status s =
          ReadExact(fd, dyn.data(), dyn.size() * sizeof(Elf64_Dyn), dynamic->p_offset, what);
      !s.ok()) {
    return s;
  }
  uint64_t strtab_vaddr = 0, strsz = 0;
  bool have_strtab = false;
  std::vector<uint64_t> needed, rpath, runpath;
  for (const Elf64_Dyn& d : dyn) {
    if (d.d_tag == DT_NULL) break;
    switch (d.d_tag) {
      case DT_STRTAB:
        strtab_vaddr = d.d_un.d_ptr;
        have_strtab = true;
        break;
      case DT_STRSZ:
        strsz = d.d_un.d_val;
        break;
      case DT_NEEDED:
        needed.push_back(d.d_un.d_val);
        break;
      case DT_RPATH:
        rpath.push_back(d.d_un.d_val);
        break;
      case DT_RUNPATH:
        runpath.push_back(d.d_un.d_val);
        break;
      default:
        break;
    }
  }
  if (needed.empty() && rpath.empty() && runpath.empty()) return info;
  if (!have_strtab || strsz == 0 || strsz > kMaxStrtabBytes) return bad("malformed DT_STRTAB");
  // DT_STRTAB is a virtual address: find the PT_LOAD segment that maps it.
  uint64_t strtab_offset = 0;
  bool mapped = false;
  for (const Elf64_Phdr& p : ph) {
    if (p.p_type == PT_LOAD && strtab_vaddr >= p.p_vaddr && strtab_vaddr - p.p_vaddr < p.p_filesz &&
        strsz <= p.p_filesz - (strtab_vaddr - p.p_vaddr)) {
      strtab_offset = p.p_offset + (strtab_vaddr - p.p_vaddr);
      mapped = true;
      break;
    }
  }
  if (!mapped) return bad("DT_STRTAB outside every PT_LOAD segment");
  std::string strtab(strsz, '\0');
  if (absl::Status s = ReadExact(fd, strtab.data(), strtab.size(), strtab_offset, what); !s.ok()) {
    return s;
  }
  auto str = [&strtab](uint64_t off) -> std::optional<std::string> {
    if (off >= strtab.size()) return std::nullopt;
    size_t end = strtab.find('\0', off);
    if (end == std::string::npos) return std::nullopt;
    return strtab.substr(off, end - off);
  };
  for (uint64_t off : needed) {
    std::optional<std::string> name = str(off);
    if (!name || name->empty()) return bad("malformed DT_NEEDED");
    info.needed.push_back(*std::move(name));
  }
  for (auto [offsets, out] : {std::pair{&rpath, &info.rpath}, std::pair{&runpath, &info.runpath}}) {
    for (uint64_t off : *offsets) {
      std::optional<std::string> value = str(off);
      if (!value) return bad("malformed DT_RPATH/DT_RUNPATH");
      for (absl::string_view dir : absl::StrSplit(*value, ':', absl::SkipEmpty())) {
        out->emplace_back(dir);
      }
    }
  }
  return info;
}

std::string Dirname(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Expands $ORIGIN/${ORIGIN}; returns nullopt for entries the loader would not use here
// (unknown origin, other dynamic string tokens, relative directories).
std::optional<std::string> ExpandDir(const std::string& dir, const std::string& origin) {
  std::string out = dir;
  if (out.find("$ORIGIN") != std::string::npos || out.find("${ORIGIN}") != std::string::npos) {
    if (origin.empty()) return std::nullopt;
    out = absl::StrReplaceAll(out, {{"${ORIGIN}", origin}, {"$ORIGIN", origin}});
  }
  if (out.find('$') != std::string::npos || out.empty() || out[0] != '/') return std::nullopt;
  return out;
}

struct Pending {
  std::string name;    // DT_NEEDED string.
  std::string needer;  // Path (or label) of the object that needs it, for errors.
  std::vector<std::string> dirs;
};

}  // namespace

absl::StatusOr<ElfDeps> ResolveElfDeps(int fd, const ElfSearch& search) {
  absl::StatusOr<ElfInfo> main_info = ParseElf(fd, "image");
  if (!main_info.ok()) return main_info.status();
  ElfDeps deps;
  deps.interpreter = main_info->interpreter;
  const uint16_t machine = main_info->machine;

  // The search directories for the objects `info` (at `path`, with `origin`) needs.
  auto dirs_for = [&](const ElfInfo& info, const std::string& origin) {
    std::vector<std::string> dirs;
    auto add = [&](const std::vector<std::string>& list, const std::string& from_origin) {
      for (const std::string& d : list) {
        if (std::optional<std::string> e = ExpandDir(d, from_origin)) dirs.push_back(*e);
      }
    };
    if (info.runpath.empty()) {
      add(info.rpath, origin);
      if (&info != &*main_info) add(main_info->rpath, search.origin);  // The executable's RPATH.
    }
    add(info.runpath, origin);
    for (const std::string& d : search.system_dirs) dirs.push_back(d);
    return dirs;
  };

  std::deque<Pending> queue;
  for (const std::string& n : main_info->needed) {
    queue.push_back(Pending{n, "image", dirs_for(*main_info, search.origin)});
  }
  std::set<std::string> seen_names;
  std::set<std::string> seen_paths;
  while (!queue.empty()) {
    Pending p = std::move(queue.front());
    queue.pop_front();
    if (!seen_names.insert(p.name).second) continue;
    if (deps.libraries.size() >= search.max_libraries) {
      return absl::ResourceExhaustedError(
          absl::StrCat("elf deps: more than ", search.max_libraries, " libraries"));
    }
    std::vector<std::string> candidates;
    if (p.name.find('/') != std::string::npos) {
      if (p.name[0] != '/') {
        return absl::InvalidArgumentError(
            absl::StrCat("elf deps: ", p.needer, " needs relative path ", p.name));
      }
      candidates.push_back(p.name);
    } else {
      for (const std::string& d : p.dirs) candidates.push_back(absl::StrCat(d, "/", p.name));
    }
    bool found = false;
    for (const std::string& path : candidates) {
      UniqueFd lib(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
      if (!lib) continue;
      struct stat st {};
      if (::fstat(lib.get(), &st) < 0 || !S_ISREG(st.st_mode)) continue;
      absl::StatusOr<ElfInfo> info = ParseElf(lib.get(), path);
      // Like ld.so, skip files of another class or machine and keep searching.
      if (!info.ok() || info->machine != machine) continue;
      found = true;
      if (seen_paths.insert(path).second) deps.libraries.push_back(path);
      std::vector<std::string> dirs = dirs_for(*info, Dirname(path));
      for (const std::string& n : info->needed) queue.push_back(Pending{n, path, dirs});
      break;
    }
    if (!found) {
      return absl::NotFoundError(absl::StrCat("elf deps: ", p.name, " (needed by ", p.needer,
                                              ") not found in ", absl::StrJoin(p.dirs, ":")));
    }
  }
  return deps;
}

}  // namespace paddock::sandbox
