// Tests of paddock-manifest-gen: strict manifest.json, what the build fills in, and the
// generated section bytes.
#include <stdio.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <string>

#include "plugin-sdk/manifest_section.h"
#include "plugin-sdk/plugin_process.h"

namespace paddock::sdk {
namespace {

const std::string kTool = PADDOCK_MANIFEST_GEN;
const std::string kHelloDesc = PADDOCK_BUILD_DIR "/plugins/hello/plugin_hello_proto.desc";

struct Result {
  int exit_code;
  std::string output;
};

Result RunTool(const std::string& args) {
  Result r{-1, ""};
  FILE* f = popen((kTool + " " + args + " 2>&1").c_str(), "r");
  REQUIRE(f != nullptr);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) r.output.append(buf, n);
  int status = pclose(f);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string Write(const testing::TempDir& dir, const std::string& name, const std::string& text) {
  const std::string path = dir.path() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

// Recovers the section bytes from the generated source.
std::string SectionFromSource(const std::string& path) {
  std::ifstream in(path);
  std::string src((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(src.find("section(\".paddock_manifest\")") != std::string::npos);
  REQUIRE(src.find("paddock_manifest_section_size") != std::string::npos);
  std::string bytes;
  std::regex hex("0x([0-9a-f]{2}),");
  for (auto it = std::sregex_iterator(src.begin(), src.end(), hex); it != std::sregex_iterator();
       ++it) {
    bytes.push_back(static_cast<char>(std::stoi((*it)[1].str(), nullptr, 16)));
  }
  return bytes;
}

TEST_CASE("a valid manifest gets protocol, services and descriptors", "[manifest-gen]") {
  testing::TempDir dir;
  const std::string json = Write(dir, "m.json", R"({"name": "hello", "version": "1.0.0",
      "sandbox": {"memory_bytes": 1048576, "sockets": [{"name": "syslog", "kind": "UDP"}]}})");
  const std::string out = dir.path() + "/m.cc";
  Result r = RunTool("--manifest=" + json + " --out=" + out + " --descriptor-set=" + kHelloDesc +
                     " --proto=hello.proto");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  auto m = DecodeManifestSection(SectionFromSource(out));
  REQUIRE(m.ok());
  CHECK(m->name() == "hello");
  CHECK(m->sdk_protocol() == "1.0.0");
  REQUIRE(m->services_size() == 1);
  CHECK(m->services(0).name() == "paddock.hello.v1.Hello");
  REQUIRE(m->descriptors().file_size() == 1);
  CHECK(m->descriptors().file(0).name() == "hello.proto");
  CHECK(m->sandbox().memory_bytes() == 1048576);
  CHECK(m->sandbox().sockets(0).name() == "syslog");
}

TEST_CASE("a manifest without protos has no services", "[manifest-gen]") {
  testing::TempDir dir;
  const std::string json = Write(dir, "m.json", R"({"name": "bare", "version": "0.1.0"})");
  Result r = RunTool("--manifest=" + json + " --out=" + dir.path() + "/m.cc");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  auto m = DecodeManifestSection(SectionFromSource(dir.path() + "/m.cc"));
  REQUIRE(m.ok());
  CHECK(m->services_size() == 0);
}

TEST_CASE("bad manifests fail the build naming the problem", "[manifest-gen]") {
  testing::TempDir dir;
  struct Case {
    const char* json;
    const char* expect;
  } cases[] = {
      {R"({"name": "x", "version": "1.0.0", "colour": "red"})", "colour"},
      {R"({"name": "x", "version": "1.0.0", "sandbox": {"memroy_bytes": 1}})", "memroy_bytes"},
      {R"({"name": "x", "version": "1.0.0", "sandbox": {"network": "NETWORK_WIFI"}})", "network"},
      {R"({"name": "x", "version": "1.0.0", "services": [{"name": "a.B"}]})", "services"},
      {R"({"name": "x", "version": "1.0.0", "sdk_protocol": "9.9.9"})", "sdk_protocol"},
      {R"({"name": "X", "version": "1.0.0"})", "name"},
      {R"({"name": "x", "version": "1"})", "version"},
      {R"({"name": "x", "version": "1.0.0", "sandbox": {"sockets": [{"name": "A"}]}})", "socket"},
      {R"({"name": "x",)", "m.json"},
  };
  for (const Case& c : cases) {
    INFO(c.json);
    const std::string json = Write(dir, "m.json", c.json);
    Result r = RunTool("--manifest=" + json + " --out=" + dir.path() + "/m.cc");
    INFO(r.output);
    CHECK(r.exit_code != 0);
    CHECK(r.output.find(c.expect) != std::string::npos);
  }
}

TEST_CASE("bad arguments and inputs are refused", "[manifest-gen]") {
  testing::TempDir dir;
  const std::string json = Write(dir, "m.json", R"({"name": "x", "version": "1.0.0"})");
  const std::string out = " --out=" + dir.path() + "/m.cc";
  CHECK(RunTool("").exit_code != 0);
  CHECK(RunTool("--manifest=" + dir.path() + "/missing.json" + out).exit_code != 0);
  CHECK(RunTool("--manifest=" + json + out + " --bogus").exit_code != 0);
  Result r = RunTool("--manifest=" + json + out + " --descriptor-set=" + kHelloDesc +
                     " --proto=other.proto");
  CHECK(r.exit_code != 0);
  CHECK(r.output.find("other.proto") != std::string::npos);
  r = RunTool("--manifest=" + json + out + " --descriptor-set=" + json + " --proto=hello.proto");
  CHECK(r.exit_code != 0);
}

}  // namespace
}  // namespace paddock::sdk

namespace paddock::sdk {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST_CASE("the section in a built plugin survives strip", "[manifest-gen]") {
  if (std::system("command -v objcopy >/dev/null && command -v strip >/dev/null") != 0) {
    WARN("objcopy/strip not installed; skipped");
    return;
  }
  testing::TempDir dir;
  const std::string hello = PADDOCK_BUILD_DIR "/lib/paddock/plugins/hello";
  const std::string d = dir.path();
  // Every objcopy gets an explicit output file: without one it rewrites its input in place
  // (which would race with the end-to-end tests running the same binary).
  auto dump = [&](const std::string& binary, const std::string& out) {
    return std::system(("objcopy --dump-section .paddock_manifest=" + out + " " + binary + " " + d +
                        "/objcopy.out")
                           .c_str());
  };
  REQUIRE(dump(hello, d + "/before.bin") == 0);
  REQUIRE(std::system(("strip -o " + d + "/hello " + hello).c_str()) == 0);
  REQUIRE(dump(d + "/hello", d + "/after.bin") == 0);
  const std::string section = ReadAll(d + "/before.bin");
  CHECK(section == ReadAll(d + "/after.bin"));
  auto m = DecodeManifestSection(section);
  REQUIRE(m.ok());
  CHECK(m->name() == "hello");
  CHECK(m->services(0).name() == "paddock.hello.v1.Hello");
}

}  // namespace
}  // namespace paddock::sdk
