#include "host/discovery.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "host/plugin_fixture.h"

namespace paddock::host {
namespace {

using testing::ElfWithManifest;
using testing::TempDir;
using testing::ValidManifest;

TEST_CASE("ignored file names", "[discovery]") {
  for (std::string_view n :
       {"", ".", "..", ".hidden", ".#lock", "a~", "a.swp", "a.swo", "a.swx", "a.tmp", "a.part",
        "a.bak", "#auto#", "a.dpkg-new", "a.dpkg-old", "a.dpkg-tmp", "a.dpkg-dist"}) {
    INFO(n);
    CHECK(IsIgnoredFileName(n));
  }
  for (std::string_view n : {"hello", "log-aggregator", "a.so", "#a", "a#", "swp", "tmp"}) {
    INFO(n);
    CHECK_FALSE(IsIgnoredFileName(n));
  }
}

TEST_CASE("a scan reports every candidate and never aborts", "[discovery]") {
  TempDir a;
  TempDir b;
  a.Write("zeta", ElfWithManifest(ValidManifest("zeta")));
  a.Write("alpha", ElfWithManifest(ValidManifest("alpha")));
  a.Write("notes.txt", "not a plugin");
  a.Write(".hidden", ElfWithManifest(ValidManifest("hidden")));
  a.Write("alpha.swp", "x");
  a.Write("beta.part", "x");
  REQUIRE(mkdir((a.path() + "/subdir").c_str(), 0755) == 0);
  REQUIRE(symlink((a.path() + "/zeta").c_str(), (a.path() + "/link-to-zeta").c_str()) == 0);
  REQUIRE(symlink((a.path() + "/subdir").c_str(), (a.path() + "/link-to-dir").c_str()) == 0);
  REQUIRE(symlink("/nonexistent/x", (a.path() + "/dangling").c_str()) == 0);
  REQUIRE(mkfifo((a.path() + "/fifo").c_str(), 0600) == 0);
  b.Write("gamma", ElfWithManifest(ValidManifest("gamma")));

  const std::string missing = a.path() + "/no-such-dir";
  const std::vector<DiscoveredFile> files = ScanPluginDirs({a.path(), missing, b.path() + "/"});
  std::vector<std::string> names;
  for (const auto& f : files) names.push_back(f.file_name);
  CHECK(names == std::vector<std::string>{"alpha", "dangling", "fifo", "link-to-zeta", "notes.txt",
                                          "zeta", "", "gamma"});
  REQUIRE(files.size() == 8);
  REQUIRE(files[0].image.ok());
  CHECK((*files[0].image)->manifest().name() == "alpha");
  CHECK(files[0].path == a.path() + "/alpha");
  CHECK(files[1].image.status().code() == absl::StatusCode::kNotFound);
  CHECK(files[2].image.status().message() == a.path() + "/fifo: is a FIFO, not a regular file");
  REQUIRE(files[3].image.ok());
  CHECK((*files[3].image)->manifest().name() == "zeta");
  CHECK(files[3].path == a.path() + "/link-to-zeta");
  CHECK(files[4].image.status().message() ==
        a.path() + "/notes.txt: reading the manifest: not an ELF file");
  REQUIRE(files[5].image.ok());
  CHECK(files[6].path == missing);
  CHECK(files[6].image.status().code() == absl::StatusCode::kNotFound);
  CHECK(std::string(files[6].image.status().message()).find(missing) != std::string::npos);
  REQUIRE(files[7].image.ok());
  CHECK(files[7].path == b.path() + "/gamma");

  // A path that is a file, not a directory.
  const std::vector<DiscoveredFile> notdir = ScanPluginDirs({a.path() + "/notes.txt"});
  REQUIRE(notdir.size() == 1);
  CHECK_FALSE(notdir[0].image.ok());
  CHECK(ScanPluginDirs({}).empty());
}

TEST_CASE("MarkDuplicates keeps the first provider of a name", "[discovery]") {
  TempDir a;
  TempDir b;
  a.Write("one", ElfWithManifest(ValidManifest("same")));
  a.Write("two", ElfWithManifest(ValidManifest("same")));
  a.Write("three", "junk");
  b.Write("aaa", ElfWithManifest(ValidManifest("same")));
  std::vector<DiscoveredFile> files = ScanPluginDirs({a.path(), b.path()});
  REQUIRE(files.size() == 4);  // one, three, two (sorted), then aaa.
  MarkDuplicates(&files);
  CHECK(files[0].file_name == "one");
  CHECK(files[0].image.ok());
  CHECK(files[1].image.status().message() ==
        a.path() + "/three: reading the manifest: not an ELF file");
  CHECK(files[2].image.status().code() == absl::StatusCode::kAlreadyExists);
  CHECK(files[2].image.status().message() ==
        "duplicate plugin name \"same\", already provided by " + a.path() + "/one");
  CHECK(files[3].image.status().message() ==
        "duplicate plugin name \"same\", already provided by " + a.path() + "/one");
}

TEST_CASE("a rescan reuses unchanged images and reloads changed ones", "[discovery]") {
  TempDir a;
  a.Write("p", ElfWithManifest(ValidManifest("p")));
  a.Write("q", ElfWithManifest(ValidManifest("q")));
  std::vector<DiscoveredFile> first = ScanPluginDirs({a.path()});
  REQUIRE(first.size() == 2);
  std::map<std::string, std::shared_ptr<const PluginImage>> previous;
  for (const auto& f : first) previous[f.path] = *f.image;

  // Replace q (new inode) so its identity changes.
  const std::string tmp = a.Write("q.tmp", ElfWithManifest(ValidManifest("q")));
  REQUIRE(rename(tmp.c_str(), (a.path() + "/q").c_str()) == 0);
  int asked = 0;
  std::vector<DiscoveredFile> second =
      ScanPluginDirs({a.path()}, [&](const std::string& path, const PluginImage::FileIdentity&) {
        ++asked;
        return previous[path];
      });
  CHECK(asked == 2);
  REQUIRE(second.size() == 2);
  CHECK(second[0].image->get() == previous[a.path() + "/p"].get());  // Reused.
  CHECK(second[1].image->get() != previous[a.path() + "/q"].get());  // Reloaded.
  CHECK((*second[1].image)->manifest().name() == "q");
}

}  // namespace
}  // namespace paddock::host
