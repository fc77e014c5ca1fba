#include "host/discovery.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "host/file_util.h"
#include "host/string_view_compat.h"
#include "paddock/errno_status.h"
#include "paddock/fd.h"

namespace paddock::host {
namespace {

DiscoveredFile DirError(const std::string& dir, absl::Status status) {
  return DiscoveredFile{dir, "", std::move(status)};
}

// Lists the names in `dir`, sorted; an error when the directory cannot be read.
absl::StatusOr<std::vector<std::string>> ListNames(const std::string& dir) {
  UniqueDir d(::opendir(dir.c_str()));
  if (!d) return ErrnoStatus(errno, absl::StrCat("plugin directory: open ", dir));
  std::vector<std::string> names;
  while (true) {
    errno = 0;
    const dirent* e = ::readdir(d.get());
    if (e == nullptr) {
      if (errno != 0) return ErrnoStatus(errno, absl::StrCat("plugin directory: read ", dir));
      break;
    }
    if (!IsIgnoredFileName(e->d_name)) names.emplace_back(e->d_name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

bool IsIgnoredFileName(std::string_view name_in) {
  const absl::string_view name = ToAbsl(name_in);
  if (name.empty() || name[0] == '.') return true;
  if (name.size() >= 2 && name.front() == '#' && name.back() == '#') return true;
  // ".sig": plugin signatures (plugin_signature.h) live beside their binaries.
  for (absl::string_view suffix : {"~", ".sig", ".swp", ".swo", ".swx", ".tmp", ".part", ".bak",
                                   ".dpkg-new", ".dpkg-old", ".dpkg-tmp", ".dpkg-dist"}) {
    if (absl::EndsWith(name, suffix)) return true;
  }
  return false;
}

std::vector<DiscoveredFile> ScanPluginDirs(const std::vector<std::string>& dirs,
                                           const ImageReuse& reuse) {
  std::vector<DiscoveredFile> out;
  for (const std::string& dir : dirs) {
    absl::StatusOr<std::vector<std::string>> names = ListNames(dir);
    if (!names.ok()) {
      out.push_back(DirError(dir, names.status()));
      continue;
    }
    for (const std::string& name : *names) {
      const std::string path = dir.ends_with('/') ? dir + name : absl::StrCat(dir, "/", name);
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0) {
        // A dangling symlink, or a file that vanished since the listing.
        out.push_back(DiscoveredFile{path, name, ErrnoStatus(errno, absl::StrCat("stat ", path))});
        continue;
      }
      if (S_ISDIR(st.st_mode)) continue;
      if (!S_ISREG(st.st_mode)) {
        out.push_back(
            DiscoveredFile{path, name,
                           absl::FailedPreconditionError(absl::StrCat(
                               path, ": is ", FileTypeName(st.st_mode), ", not a regular file"))});
        continue;
      }
      if (reuse) {
        const PluginImage::FileIdentity id = PluginImage::IdentityFromStat(st);
        if (std::shared_ptr<const PluginImage> old = reuse(path, id);
            old != nullptr && old->identity() == id) {
          out.push_back(DiscoveredFile{path, name, std::move(old)});
          continue;
        }
      }
      out.push_back(DiscoveredFile{path, name, PluginImage::Load(path)});
    }
  }
  return out;
}

void MarkDuplicates(std::vector<DiscoveredFile>* files) {
  absl::flat_hash_map<std::string, std::string> owner;  // Plugin name -> path.
  for (DiscoveredFile& f : *files) {
    if (!f.image.ok()) continue;
    const std::string& name = (*f.image)->manifest().name();
    const auto [it, inserted] = owner.emplace(name, f.path);
    if (!inserted) {
      f.image = absl::AlreadyExistsError(
          absl::StrCat("duplicate plugin name \"", name, "\", already provided by ", it->second));
    }
  }
}

}  // namespace paddock::host
