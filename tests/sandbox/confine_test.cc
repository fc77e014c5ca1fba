// The confined launch path, checked from inside the child: namespaces, root, /proc,
// read-only binds, identity, capabilities, no_new_privs, seccomp mode, rlimits,
// network, and failures reported with their step. Needs root (integration).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "sandbox/caps.h"
#include "sandbox/image.h"
#include "sandbox/launcher.h"
#include "test_util.h"

namespace paddock::sandbox {
namespace {

using testing::ConfinedProbe;
using testing::LaunchAndWait;
using testing::Outcome;

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

std::vector<std::string> SortedLines(const std::string& text) {
  std::vector<std::string> lines = Lines(text);
  std::sort(lines.begin(), lines.end());
  return lines;
}

Outcome Run(ConfinedProbe& probe) {
  absl::StatusOr<Outcome> ran = LaunchAndWait(std::move(probe.spec));
  INFO(ran.status().ToString());
  REQUIRE(ran.ok());
  INFO(ran->out);
  REQUIRE(ran->Exited(0));
  return *std::move(ran);
}

std::string StatusField(const std::string& status, const std::string& key) {
  for (const std::string& line : Lines(status)) {
    if (absl::StartsWith(line, key + ":")) {
      std::string value = line.substr(key.size() + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      return value;
    }
  }
  return "<missing>";
}

TEST_CASE("a confined child runs in new namespaces") {
  if (!testing::RequireRoot()) return;
  std::vector<std::string> mine;
  for (const char* ns : {"mnt", "pid", "ipc", "uts", "net", "cgroup", "user"}) {
    char target[128] = {};
    REQUIRE(::readlink(absl::StrCat("/proc/self/ns/", ns).c_str(), target, sizeof(target) - 1) > 0);
    mine.push_back(target);
  }
  {
    ConfinedProbe probe({"ns"});
    std::vector<std::string> theirs = Lines(Run(probe).out);
    REQUIRE(theirs.size() == 7);
    for (int i = 0; i < 6; ++i) CHECK(theirs[i] != mine[i]);
    CHECK(theirs[6] == mine[6]);  // No user namespace: we are root already.
  }
  {
    ConfinedProbe probe({"ns"});
    probe.spec.policy.new_network = false;
    std::vector<std::string> theirs = Lines(Run(probe).out);
    REQUIRE(theirs.size() == 7);
    CHECK(theirs[4] == mine[4]);  // network: host.
    CHECK(theirs[0] != mine[0]);
  }
}

TEST_CASE("the plugin is pid 1 of its namespace and /proc shows only it") {
  if (!testing::RequireRoot()) return;
  ConfinedProbe probe({"id"});
  CHECK(absl::StrContains(Run(probe).out, "pid 1 ppid 0"));
  ConfinedProbe ls({"ls", "/proc"});
  std::vector<std::string> pids;
  for (const std::string& e : Lines(Run(ls).out)) {
    if (std::all_of(e.begin(), e.end(), ::isdigit)) pids.push_back(e);
  }
  CHECK(pids == std::vector<std::string>{"1"});
}

TEST_CASE("the root is a tmpfs with only the loader, libraries, devices and /proc") {
  if (!testing::RequireRoot()) return;
  ConfinedProbe root({"ls", "/"});
  CHECK(SortedLines(Run(root).out) == std::vector<std::string>{"dev", "lib", "lib64", "proc"});
  ConfinedProbe dev({"ls", "/dev"});
  CHECK(SortedLines(Run(dev).out) == std::vector<std::string>{"null", "urandom", "zero"});
  ConfinedProbe shadow({"cat", "/etc/shadow"});
  CHECK(Run(shadow).out == "ERR ENOENT\n");
  ConfinedProbe libs({"ls", "/lib/x86_64-linux-gnu"});
  std::vector<std::string> names = SortedLines(Run(libs).out);
  for (const char* lib : {"libc.so.6", "libstdc++.so.6", "libgcc_s.so.1", "libm.so.6"}) {
    CHECK(std::find(names.begin(), names.end(), lib) != names.end());
  }
  CHECK(names.size() <= 6);  // The probe's closure (+ ld.so, which libc names), nothing else.
  ConfinedProbe mounts({"cat", "/proc/self/mounts"});
  std::string table = Run(mounts).out;
  INFO(table);
  CHECK(absl::StartsWith(table, "tmpfs / tmpfs ro,"));
  // The host directory stays empty: the tmpfs exists only in the child's namespace.
  CHECK(::rmdir(root.root.path().c_str()) == 0);
  CHECK(::mkdir(root.root.path().c_str(), 0700) == 0);
}

TEST_CASE("read-only mounts refuse writes; a writable bind takes them") {
  if (!testing::RequireRoot()) return;
  testing::TempDir ro_dir, rw_dir;
  REQUIRE(::chmod(ro_dir.path().c_str(), 0777) == 0);  // Writable but for the mount.
  REQUIRE(::chown(rw_dir.path().c_str(), 60123, 60123) == 0);
  auto with_binds = [&](std::vector<std::string> args) {
    auto probe = std::make_unique<ConfinedProbe>(std::move(args));
    probe->spec.policy.binds = {{ro_dir.path(), "/data", false}, {rw_dir.path(), "/run", true}};
    return probe;
  };
  for (const char* path : {"/newfile", "/lib/x86_64-linux-gnu/libc.so.6", "/data/x", "/dev/x"}) {
    auto probe = with_binds({"write-file", path});
    INFO(path);
    CHECK(Run(*probe).out == "EROFS\n");
  }
  auto writable = with_binds({"write-file", "/run/sock"});
  CHECK(Run(*writable).out == "OK\n");
  std::string host_file = rw_dir.path() + "/sock";
  CHECK(::access(host_file.c_str(), F_OK) == 0);
  ::unlink(host_file.c_str());
  // Devices still work on their read-only mounts.
  auto null = with_binds({"write-file", "/dev/null"});
  CHECK(Run(*null).out == "OK\n");
}

TEST_CASE("identity, capabilities, no_new_privs and seccomp mode are as asked") {
  if (!testing::RequireRoot()) return;
  ConfinedProbe none({"status"});
  std::string status = Run(none).out;
  CHECK(StatusField(status, "Uid") == "60123\t60123\t60123\t60123");
  CHECK(StatusField(status, "Gid") == "60123\t60123\t60123\t60123");
  CHECK(StatusField(status, "Groups") == "");
  for (const char* set : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}) {
    INFO(set);
    CHECK(StatusField(status, set) == "0000000000000000");
  }
  CHECK(StatusField(status, "NoNewPrivs") == "1");
  CHECK(StatusField(status, "Seccomp") == "2");

  ConfinedProbe granted({"status"});
  int net_admin = *CapabilityFromName("CAP_NET_ADMIN");
  int bpf = *CapabilityFromName("CAP_BPF");
  int perfmon = *CapabilityFromName("CAP_PERFMON");
  granted.spec.policy.capabilities = {net_admin, bpf, perfmon};
  granted.spec.policy.uid = 60200;
  granted.spec.policy.gid = 60201;
  status = Run(granted).out;
  uint64_t mask = (uint64_t{1} << net_admin) | (uint64_t{1} << bpf) | (uint64_t{1} << perfmon);
  char want[17];
  snprintf(want, sizeof(want), "%016llx", static_cast<unsigned long long>(mask));
  for (const char* set : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}) {
    INFO(set);
    CHECK(StatusField(status, set) == want);
  }
  CHECK(StatusField(status, "Uid") == "60200\t60200\t60200\t60200");
  CHECK(StatusField(status, "Gid") == "60201\t60201\t60201\t60201");
}

TEST_CASE("rlimits, hostname, environment and loopback inside the sandbox") {
  if (!testing::RequireRoot()) return;
  ConfinedProbe limits({"cat", "/proc/self/limits"});
  limits.spec.policy.max_open_files = 77;
  limits.spec.policy.max_file_size = 1 << 20;
  std::string table = Run(limits).out;
  INFO(table);
  CHECK(absl::StrContains(table, "Max open files            77                   77"));
  CHECK(absl::StrContains(table, "Max core file size        0                    0"));
  CHECK(absl::StrContains(table, "Max file size             1048576              1048576"));
  CHECK(absl::StrContains(table, "Max processes             512                  512"));

  ConfinedProbe host({"hostname"});
  host.spec.policy.hostname = "hello-1";
  CHECK(Run(host).out == "hello-1\n");

  ConfinedProbe env({"env"});
  env.spec.env = {"ONLY=this"};
  CHECK(Run(env).out == "ONLY=this\n");

  ConfinedProbe lo({"loopback"});
  CHECK(Run(lo).out == "OK\n");
  ConfinedProbe fds({"fds"});
  CHECK(SortedLines(Run(fds).out).size() == 3);
}

TEST_CASE("the launch reports what it applied") {
  if (!testing::RequireRoot()) return;
  ConfinedProbe probe({"exit", "0"});
  probe.spec.policy.capabilities = {*CapabilityFromName("CAP_BPF")};
  probe.spec.policy.syscall_groups = {"bpf"};
  std::string root = probe.root.path();
  absl::StatusOr<Child> child = Launch(std::move(probe.spec));
  REQUIRE(child.ok());
  const Confinement& c = child->confinement;
  CHECK(c.enabled);
  CHECK(c.namespaces == std::vector<std::string>{"mnt", "pid", "ipc", "uts", "net", "cgroup"});
  CHECK(c.root == root);
  CHECK(c.uid == 60123);
  CHECK(c.capabilities == std::vector<std::string>{"CAP_BPF"});
  CHECK(c.seccomp_mode == "filter");
  CHECK(std::find(c.seccomp_groups.begin(), c.seccomp_groups.end(), "bpf") !=
        c.seccomp_groups.end());
  CHECK(c.mounts.front() == "/ tmpfs (ro)");
  CHECK(child->seccomp_listener.valid());
  CHECK(testing::WaitPidfd(child->pidfd.get()).Exited(0));
}

TEST_CASE("bad confinement is refused with the reason, before or after the clone") {
  if (!testing::RequireRoot()) return;
  {
    ConfinedProbe probe({"exit", "0"});
    probe.spec.policy.uid = 0;
    CHECK(Launch(std::move(probe.spec)).status().code() == absl::StatusCode::kInvalidArgument);
  }
  {
    ConfinedProbe probe({"exit", "0"});
    probe.spec.policy.root_dir = probe.root.path() + "/missing";
    CHECK(Launch(std::move(probe.spec)).status().code() == absl::StatusCode::kNotFound);
  }
  {
    ConfinedProbe probe({"exit", "0"});
    probe.spec.policy.binds = {{"/tmp", "/lib/x86_64-linux-gnu", false}};
    absl::Status s = Launch(std::move(probe.spec)).status();
    CHECK(s.code() == absl::StatusCode::kInvalidArgument);
    CHECK(absl::StrContains(s.message(), "inside bind target /lib/x86_64-linux-gnu"));
  }
  {
    ConfinedProbe probe({"exit", "0"});
    probe.spec.policy.syscall_groups = {"everything"};
    CHECK(Launch(std::move(probe.spec)).status().code() == absl::StatusCode::kInvalidArgument);
  }
  {
    ConfinedProbe probe({"exit", "0"});
    probe.spec.policy.cgroup_dirs = {"/sys/fs/cgroup/memory/does-not-exist"};
    CHECK(Launch(std::move(probe.spec)).status().code() == absl::StatusCode::kNotFound);
  }
  {
    // Above fs.nr_open: only the child finds out, and names the step.
    ConfinedProbe probe({"exit", "0"});
    probe.spec.policy.max_open_files = uint64_t{1} << 40;
    absl::Status s = Launch(std::move(probe.spec)).status();
    INFO(s.ToString());
    CHECK(absl::StrContains(s.message(), "launch: setrlimit #7: Operation not permitted"));
  }
  {
    // An image that needs a library the host does not have.
    ConfinedProbe probe({"exit", "0"});
    std::ifstream in(PADDOCK_SANDBOX_PROBE, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t at = bytes.find("libgcc_s.so.1");
    REQUIRE(at != std::string::npos);
    bytes.replace(at, 13, "libnope_.so.1");
    absl::StatusOr<UniqueFd> image = SealedImageFromBytes("patched", bytes);
    REQUIRE(image.ok());
    probe.spec.exec_fd = image->get();
    absl::Status s = Launch(std::move(probe.spec)).status();
    CHECK(s.code() == absl::StatusCode::kNotFound);
    CHECK(absl::StrContains(s.message(), "libnope_.so.1 (needed by image) not found"));
  }
}

}  // namespace
}  // namespace paddock::sandbox
