// CgroupManager / InstanceCgroup against a fake cgroupfs tree in a temp dir (no
// privileges). FakeCgroupFs behaves like the kernel where the logic depends on it:
// new directories come with their interface files, cgroup.subtree_control accumulates
// "+controller" writes, cgroup.kill empties the group, a killed pid leaves cgroup.procs,
// and rmdir works on a directory that only holds interface files.
#include "sandbox/cgroup.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "test_util.h"

namespace paddock::sandbox {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void Put(const std::string& path, const std::string& value) { std::ofstream(path) << value; }

class FakeCgroupFs final : public CgroupFs {
 public:
  std::vector<pid_t> signalled;

  absl::StatusOr<std::string> Read(const std::string& path) override {
    if (::access(path.c_str(), R_OK) != 0) return absl::NotFoundError(path);
    return Slurp(path);
  }
  absl::Status Write(const std::string& path, std::string_view value) override {
    std::string v(value);
    if (absl::EndsWith(path, "/cgroup.subtree_control")) {
      std::string procs = path.substr(0, path.rfind('/')) + "/cgroup.procs";
      if (no_internal_processes && !v.empty() && v[0] == '+' && !Slurp(procs).empty()) {
        return absl::FailedPreconditionError("write " + path + ": Device or resource busy");
      }
      std::set<std::string> on;
      for (absl::string_view c : absl::StrSplit(Slurp(path), ' ', absl::SkipEmpty())) {
        on.insert(std::string(absl::StripAsciiWhitespace(c)));
      }
      if (v.empty() || (v[0] != '+' && v[0] != '-')) return absl::InvalidArgumentError(v);
      if (v[0] == '+') on.insert(v.substr(1));
      if (v[0] == '-') on.erase(v.substr(1));
      Put(path, absl::StrJoin(on, " "));
      return absl::OkStatus();
    }
    if (no_internal_processes && absl::EndsWith(path, "/cgroup.procs")) {
      // Moving a task: it leaves the cgroup.procs it was in (of those tracked).
      for (const std::string& procs : tracked_procs) {
        std::vector<std::string> keep;
        for (absl::string_view l : absl::StrSplit(Slurp(procs), '\n', absl::SkipEmpty())) {
          if (l != v) keep.emplace_back(l);
        }
        Put(procs, keep.empty() ? "" : absl::StrJoin(keep, "\n") + "\n");
      }
      Put(path, Slurp(path) + v + "\n");
      return absl::OkStatus();
    }
    if (absl::EndsWith(path, "/cgroup.kill")) {
      Put(path.substr(0, path.rfind('/')) + "/cgroup.procs", "");
      return absl::OkStatus();
    }
    Put(path, v);
    return absl::OkStatus();
  }
  bool Exists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }
  absl::Status MakeDir(const std::string& path) override {
    if (::mkdir(path.c_str(), 0755) < 0) {
      if (errno == EEXIST) return absl::OkStatus();
      return absl::NotFoundError(path);
    }
    // What the kernel would create (v1 and v2 files together; the code picks its own).
    const std::pair<const char*, const char*> files[] = {
        {"cgroup.procs", ""},
        {"cgroup.subtree_control", ""},
        {"memory.max", "max"},
        {"memory.swap.max", "max"},
        {"memory.current", "0"},
        {"memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n"},
        {"cpu.max", "max 100000"},
        {"cpu.stat", "usage_usec 0\nnr_periods 0\nnr_throttled 0\n"},
        {"pids.max", "max"},
        {"pids.current", "0"},
        {"cgroup.kill", ""},
        {"memory.limit_in_bytes", "9223372036854771712"},
        {"memory.memsw.limit_in_bytes", "9223372036854771712"},
        {"memory.usage_in_bytes", "0"},
        {"memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n"},
        {"cpu.cfs_period_us", "100000"},
        {"cpu.cfs_quota_us", "-1"},
        {"cpuacct.usage", "0"},
        {"freezer.state", "THAWED"},
    };
    for (const auto& [name, value] : files) Put(path + "/" + name, value);
    return absl::OkStatus();
  }
  absl::Status RemoveDir(const std::string& path) override {
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) return absl::OkStatus();
    std::vector<std::string> files;
    while (dirent* e = ::readdir(dir)) {
      if (e->d_type == DT_DIR && std::string(e->d_name) != "." && std::string(e->d_name) != "..") {
        ::closedir(dir);
        return absl::FailedPreconditionError("busy: " + path);
      }
      if (e->d_type == DT_REG) files.push_back(e->d_name);
    }
    ::closedir(dir);
    if (!Slurp(path + "/cgroup.procs").empty())
      return absl::FailedPreconditionError("busy: " + path);
    for (const std::string& f : files) ::unlink((path + "/" + f).c_str());
    ::rmdir(path.c_str());
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<std::string>> SubDirs(const std::string& path) override {
    std::vector<std::string> out;
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) return absl::NotFoundError(path);
    while (dirent* e = ::readdir(dir)) {
      std::string n = e->d_name;
      if (e->d_type == DT_DIR && n != "." && n != "..") out.push_back(n);
    }
    ::closedir(dir);
    return out;
  }
  absl::Status Signal(pid_t pid, int sig) override {
    if (sig != SIGKILL) return absl::InvalidArgumentError("only SIGKILL expected");
    signalled.push_back(pid);
    dead_.insert(pid);
    // The task leaves every cgroup.procs it was in (the tests only use a few paths).
    for (const std::string& procs : tracked_procs) {
      std::vector<std::string> keep;
      for (absl::string_view l : absl::StrSplit(Slurp(procs), '\n', absl::SkipEmpty())) {
        if (std::to_string(pid) != l) keep.emplace_back(l);
      }
      Put(procs, keep.empty() ? "" : absl::StrJoin(keep, "\n") + "\n");
    }
    return absl::OkStatus();
  }
  std::vector<std::string> tracked_procs;
  // cgroup v2's "no internal processes" rule (a cgroup holding tasks cannot enable
  // controllers for its children) and task moves through cgroup.procs writes.
  bool no_internal_processes = false;

 private:
  std::set<pid_t> dead_;
};

// A fake tree: <tmp>/fs is the cgroup root, <tmp>/self_cgroup the host's own paths.
struct FakeTree {
  testing::TempDir tmp;
  std::string root = tmp.path() + "/fs";
  std::shared_ptr<FakeCgroupFs> fs = std::make_shared<FakeCgroupFs>();
  CgroupOptions options;
  FakeTree(const std::string& self_cgroup) {
    REQUIRE(::mkdir(root.c_str(), 0755) == 0);
    Put(tmp.path() + "/self_cgroup", self_cgroup);
    options.root = root;
    options.name = "paddock-t";
    options.self_cgroup = tmp.path() + "/self_cgroup";
    options.fs = fs;
  }
  ~FakeTree() {
    // Best effort: remove whatever a failing test left.
    std::string cmd = "rm -rf '" + tmp.path() + "'/*";
    (void)!::system(cmd.c_str());
  }
};

TEST_CASE("cgroup v2: limits, usage, kill and cleanup in the unified hierarchy") {
  FakeTree tree("0::/\n");
  Put(tree.root + "/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
  Put(tree.root + "/cgroup.subtree_control", "");
  Put(tree.root + "/cgroup.procs", "1\n");

  absl::StatusOr<std::unique_ptr<CgroupManager>> manager = CgroupManager::Create(tree.options);
  REQUIRE(manager.ok());
  CHECK((*manager)->Describe() == "memory: v2, cpu: v2, pids: v2");
  CHECK(Slurp(tree.root + "/cgroup.subtree_control") == "cpu memory pids");
  std::string base = tree.root + "/paddock-t";
  CHECK(Slurp(base + "/cgroup.subtree_control") == "cpu memory pids");

  CgroupLimits limits{64 << 20, 500, 32};
  absl::StatusOr<std::unique_ptr<InstanceCgroup>> inst =
      (*manager)->CreateInstance("hello-1", limits);
  REQUIRE(inst.ok());
  std::string dir = base + "/hello-1";
  CHECK((*inst)->dirs() == std::vector<std::string>{dir});
  CHECK(Slurp(dir + "/memory.max") == "67108864");
  CHECK(Slurp(dir + "/memory.swap.max") == "0");
  CHECK(Slurp(dir + "/cpu.max") == "50000 100000");
  CHECK(Slurp(dir + "/pids.max") == "32");
  CHECK((*inst)->Describe() ==
        std::vector<std::string>{"v2:memory:" + dir, "v2:cpu:" + dir, "v2:pids:" + dir});

  Put(dir + "/memory.current", "1234\n");
  Put(dir + "/memory.events", "low 0\nhigh 0\nmax 5\noom 2\noom_kill 2\n");
  Put(dir + "/cpu.stat", "usage_usec 5000\nuser_usec 4000\nnr_periods 9\nnr_throttled 7\n");
  Put(dir + "/pids.current", "3\n");
  absl::StatusOr<InstanceCgroup::Usage> usage = (*inst)->ReadUsage();
  REQUIRE(usage.ok());
  CHECK(usage->memory_current == 1234);
  CHECK(usage->oom_kills == 2);
  CHECK(usage->cpu_usage_ns == 5000000);
  CHECK(usage->cpu_throttled == 7);
  CHECK(usage->pids_current == 3);

  // cgroup.kill empties the group: no signals needed.
  Put(dir + "/cgroup.procs", "100\n200\n");
  REQUIRE((*inst)->KillAll().ok());
  CHECK(tree.fs->signalled.empty());
  CHECK(Slurp(dir + "/cgroup.procs").empty());

  CHECK((*manager)->CreateInstance("hello-1", limits).status().code() ==
        absl::StatusCode::kAlreadyExists);
  inst->reset();
  CHECK(::access(dir.c_str(), F_OK) != 0);

  // Unlimited values are written as the kernel spells them.
  absl::StatusOr<std::unique_ptr<InstanceCgroup>> open = (*manager)->CreateInstance("open", {});
  REQUIRE(open.ok());
  CHECK(Slurp(base + "/open/memory.max") == "max");
  CHECK(Slurp(base + "/open/memory.swap.max") == "max");
  CHECK(Slurp(base + "/open/cpu.max") == "max 100000");
  CHECK(Slurp(base + "/open/pids.max") == "max");
  open->reset();

  manager->reset();
  CHECK(::access(base.c_str(), F_OK) != 0);  // Nothing left behind.
}

TEST_CASE("cgroup v2 delegated with the host inside: the host moves to a leaf beside its subtree") {
  // systemd's Delegate=yes: /system.slice/paddockd.service holds paddockd itself, and
  // cgroup v2 lets it enable controllers for its children only once it holds no task.
  FakeTree tree("0::/system.slice/paddockd.service\n");
  tree.fs->no_internal_processes = true;
  std::string unit = tree.root + "/system.slice/paddockd.service";
  REQUIRE(tree.fs->MakeDir(tree.root + "/system.slice").ok());
  REQUIRE(tree.fs->MakeDir(unit).ok());
  Put(tree.root + "/cgroup.controllers", "cpu memory pids\n");
  Put(unit + "/cgroup.controllers", "cpu memory pids\n");
  std::string me = std::to_string(getpid());  // The host is this test process.
  Put(unit + "/cgroup.procs", me + "\n");
  tree.fs->tracked_procs = {unit + "/cgroup.procs"};

  absl::StatusOr<std::unique_ptr<CgroupManager>> manager = CgroupManager::Create(tree.options);
  REQUIRE(manager.ok());
  CHECK(Slurp(unit + "/cgroup.procs").empty());
  CHECK(Slurp(unit + "/paddock-t-host/cgroup.procs") == me + "\n");
  CHECK(Slurp(unit + "/cgroup.subtree_control") == "cpu memory pids");
  CHECK(Slurp(unit + "/paddock-t/cgroup.subtree_control") == "cpu memory pids");
  absl::StatusOr<std::unique_ptr<InstanceCgroup>> inst =
      (*manager)->CreateInstance("hello-1", {64 << 20, 500, 32});
  REQUIRE(inst.ok());
  CHECK((*inst)->dirs() == std::vector<std::string>{unit + "/paddock-t/hello-1"});
  inst->reset();
  manager->reset();
  CHECK(::access((unit + "/paddock-t").c_str(), F_OK) != 0);
}

TEST_CASE("cgroup v2: tasks that are not the host's are never moved, and the error says why") {
  // A root shell's session scope: the shell is there too. paddockd moves only itself, so
  // the scope still holds a task and the controllers cannot be enabled.
  FakeTree tree("0::/user.slice/session-1.scope\n");
  tree.fs->no_internal_processes = true;
  std::string scope = tree.root + "/user.slice/session-1.scope";
  REQUIRE(tree.fs->MakeDir(tree.root + "/user.slice").ok());
  REQUIRE(tree.fs->MakeDir(scope).ok());
  Put(tree.root + "/cgroup.controllers", "cpu memory pids\n");
  std::string me = std::to_string(getpid());
  Put(scope + "/cgroup.procs", "100\n" + me + "\n");
  tree.fs->tracked_procs = {scope + "/cgroup.procs"};
  absl::Status s = CgroupManager::Create(tree.options).status();
  CHECK(s.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(absl::StrContains(s.message(), "leaf"));
  CHECK(Slurp(scope + "/cgroup.procs") == "100\n");
  CHECK(Slurp(scope + "/paddock-t-host/cgroup.procs") == me + "\n");
}

TEST_CASE("cgroup instance ids and limits are validated") {
  FakeTree tree("0::/\n");
  Put(tree.root + "/cgroup.controllers", "cpu memory pids\n");
  Put(tree.root + "/cgroup.subtree_control", "");
  absl::StatusOr<std::unique_ptr<CgroupManager>> manager = CgroupManager::Create(tree.options);
  REQUIRE(manager.ok());
  for (const char* bad : {"", ".", "..", "../x", "a/b", "a b"}) {
    INFO(bad);
    CHECK((*manager)->CreateInstance(bad, {}).status().code() ==
          absl::StatusCode::kInvalidArgument);
  }
  CHECK((*manager)->CreateInstance("x", {0, 5, 0}).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK((*manager)->CreateInstance("x", {4096, 0, 0}).status().code() ==
        absl::StatusCode::kInvalidArgument);
  tree.options.name = "../escape";
  CHECK(CgroupManager::Create(tree.options).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("a missing controller refuses to start, naming it") {
  FakeTree tree("0::/\n");
  Put(tree.root + "/cgroup.controllers", "cpu memory\n");
  Put(tree.root + "/cgroup.subtree_control", "");
  absl::Status s = CgroupManager::Create(tree.options).status();
  CHECK(s.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(absl::StrContains(s.message(), "pids"));
}

TEST_CASE("cgroup v1 in a hybrid layout: per-controller hierarchies under the host's own cgroup") {
  FakeTree tree(
      "9:name=systemd:/\n8:pids:/\n6:freezer:/\n4:memory:/outer/host\n2:cpuacct:/\n1:cpu:/\n0::/"
      "\n");
  REQUIRE(::mkdir((tree.root + "/unified").c_str(), 0755) == 0);
  Put(tree.root + "/unified/cgroup.controllers", "hugetlb\n");
  Put(tree.root + "/unified/cgroup.subtree_control", "");
  for (const char* c : {"memory", "cpu", "cpuacct", "pids", "freezer"}) {
    REQUIRE(::mkdir((tree.root + "/" + c).c_str(), 0755) == 0);
    Put(tree.root + "/" + c + "/cgroup.procs", "1\n");
  }
  REQUIRE(::mkdir((tree.root + "/memory/outer").c_str(), 0755) == 0);
  REQUIRE(::mkdir((tree.root + "/memory/outer/host").c_str(), 0755) == 0);

  // A previous host's leftovers are killed and removed.
  REQUIRE(::mkdir((tree.root + "/pids/paddock-t").c_str(), 0755) == 0);
  REQUIRE(tree.fs->MakeDir(tree.root + "/pids/paddock-t/stale").ok());
  Put(tree.root + "/pids/paddock-t/stale/cgroup.procs", "4242\n");
  tree.fs->tracked_procs = {tree.root + "/pids/paddock-t/stale/cgroup.procs"};

  absl::StatusOr<std::unique_ptr<CgroupManager>> manager = CgroupManager::Create(tree.options);
  INFO(manager.status().ToString());
  REQUIRE(manager.ok());
  CHECK(tree.fs->signalled == std::vector<pid_t>{4242});
  CHECK(::access((tree.root + "/pids/paddock-t/stale").c_str(), F_OK) != 0);
  CHECK((*manager)->Describe() == "memory: v1, cpu: v1, pids: v1, cpuacct: v1, freezer: v1");

  absl::StatusOr<std::unique_ptr<InstanceCgroup>> inst =
      (*manager)->CreateInstance("gen2", {32 << 20, 250, 16});
  REQUIRE(inst.ok());
  std::string mem = tree.root + "/memory/outer/host/paddock-t/gen2";
  std::string cpu = tree.root + "/cpu/paddock-t/gen2";
  std::string pids = tree.root + "/pids/paddock-t/gen2";
  std::string acct = tree.root + "/cpuacct/paddock-t/gen2";
  std::string frz = tree.root + "/freezer/paddock-t/gen2";
  CHECK((*inst)->dirs() == std::vector<std::string>{mem, cpu, pids, acct, frz});
  CHECK(Slurp(mem + "/memory.limit_in_bytes") == "33554432");
  CHECK(Slurp(mem + "/memory.memsw.limit_in_bytes") == "33554432");
  CHECK(Slurp(cpu + "/cpu.cfs_period_us") == "100000");
  CHECK(Slurp(cpu + "/cpu.cfs_quota_us") == "25000");
  CHECK(Slurp(pids + "/pids.max") == "16");

  Put(mem + "/memory.usage_in_bytes", "777\n");
  Put(mem + "/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n");
  Put(acct + "/cpuacct.usage", "123456789\n");
  Put(cpu + "/cpu.stat", "nr_periods 10\nnr_throttled 4\nthrottled_time 99\n");
  Put(pids + "/pids.current", "2\n");
  absl::StatusOr<InstanceCgroup::Usage> usage = (*inst)->ReadUsage();
  REQUIRE(usage.ok());
  CHECK(usage->memory_current == 777);
  CHECK(usage->oom_kills == 1);
  CHECK(usage->cpu_usage_ns == 123456789);
  CHECK(usage->cpu_throttled == 4);
  CHECK(usage->pids_current == 2);

  // v1 has no cgroup.kill: freeze, SIGKILL every task, thaw.
  for (const std::string& d : (*inst)->dirs()) Put(d + "/cgroup.procs", "10\n11\n");
  tree.fs->tracked_procs.clear();
  for (const std::string& d : (*inst)->dirs())
    tree.fs->tracked_procs.push_back(d + "/cgroup.procs");
  tree.fs->signalled.clear();
  REQUIRE((*inst)->KillAll().ok());
  CHECK(tree.fs->signalled == std::vector<pid_t>{10, 11});
  CHECK(Slurp(frz + "/freezer.state") == "THAWED");

  inst->reset();
  for (const std::string& d : {mem, cpu, pids, acct, frz}) CHECK(::access(d.c_str(), F_OK) != 0);
  manager->reset();
  CHECK(::access((tree.root + "/memory/outer/host/paddock-t").c_str(), F_OK) != 0);
  CHECK(::access((tree.root + "/memory/outer/host").c_str(), F_OK) == 0);  // Not ours.
}

}  // namespace
}  // namespace paddock::sandbox
