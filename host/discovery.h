// Finding plugin binaries in the plugin directories.
//
// Decisions:
//  - Each directory is listed once, entries sorted by file name (bytewise); directories
//    are scanned in the order given.
//  - Symbolic links are followed: the plugin directory belongs to the operator, who may
//    link a binary in from elsewhere. Only what the link points to is judged: a link to a
//    regular file is loaded, a link to a directory is skipped like a directory, a dangling
//    link is reported invalid. No TOCTOU issue follows: the bytes are read once and what
//    runs is the sealed copy of exactly those bytes (plugin_image.h).
//  - Subdirectories are skipped (not recursed into), and so are hidden and editor/temp
//    files (IsIgnoredFileName): they show up while a file is being written or edited.
//  - Nothing aborts a scan: a missing or unreadable directory, an unreadable file or an
//    invalid plugin each yields one entry with a non-OK image status.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "host/plugin_image.h"

namespace paddock::host {

// One file (or, for a directory that could not be listed, the directory) found by a scan.
struct DiscoveredFile {
  std::string path;       // Full path (the directory itself for a directory error).
  std::string file_name;  // Last component; "" for a directory error.
  absl::StatusOr<std::shared_ptr<const PluginImage>> image;
};

// Optional hook for rescans: given a path and its current identity, returns an image
// loaded earlier from that path with that identity (to reuse without reading the file
// again), or nullptr to load it.
using ImageReuse = std::function<std::shared_ptr<const PluginImage>(
    const std::string& path, const PluginImage::FileIdentity& identity)>;

// Scans `dirs` (see the decisions above) and loads every candidate file with
// PluginImage::Load (or takes it from `reuse`). Never fails as a whole.
std::vector<DiscoveredFile> ScanPluginDirs(const std::vector<std::string>& dirs,
                                           const ImageReuse& reuse = nullptr);

// True for names a scan skips: "", ".", "..", hidden files (".*", which includes Emacs
// lock files ".#*"), signatures ("*.sig"), backups and temporaries ("*~", "*.swp", "*.swo",
// "*.swx", "*.tmp",
// "*.part", "*.bak", "*.dpkg-new", "*.dpkg-old", "*.dpkg-tmp", "*.dpkg-dist"), and Emacs
// autosaves ("#*#").
bool IsIgnoredFileName(std::string_view name);

// Resolves duplicate plugin names: the first entry (in the vector's order, i.e. scan order:
// earlier directories first, then by file name) providing a name keeps it; every later
// valid entry with the same name becomes AlreadyExists "duplicate plugin name \"x\",
// already provided by <path>".
void MarkDuplicates(std::vector<DiscoveredFile>* files);

}  // namespace paddock::host
