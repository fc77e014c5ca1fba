// paddock-sandbox-profile: what each step of a confined launch costs, measured one step at a
// time with the sandbox library's own pieces (root only).
//
//   paddock-sandbox-profile --plugin build/lib/paddock/plugins/hello [--runs 30]
//
// Parent steps: ELF dependency resolution, seccomp compilation, mount plan, instance
// cgroup creation + removal. Child steps, each in a fresh child: clone3 with the
// launcher's namespace flags (to the child's exit), joining the cgroups through v1
// "tasks" vs "cgroup.procs", and replaying the mount plan in a new mount namespace.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sandbox/cgroup.h"
#include "sandbox/clone.h"
#include "sandbox/elf_deps.h"
#include "sandbox/mount.h"
#include "sandbox/seccomp.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace sb = paddock::sandbox;

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "paddock-sandbox-profile: %s\n", why.c_str());
  std::exit(1);
}

double Ms(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

void Report(const std::string& what, std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  double sum = 0;
  for (double x : ms) sum += x;
  std::printf("%-62s p50 %8.3f ms  p99 %8.3f ms  mean %8.3f ms\n", what.c_str(), ms[ms.size() / 2],
              ms[std::min(ms.size() - 1, ms.size() * 99 / 100)],
              sum / static_cast<double>(ms.size()));
}

// Milliseconds `fn` takes, `runs` times.
std::vector<double> Time(int runs, const std::function<void()>& fn) {
  std::vector<double> out;
  for (int i = 0; i < runs; ++i) {
    auto t0 = Clock::now();
    fn();
    out.push_back(Ms(t0, Clock::now()));
  }
  return out;
}

// Runs `child` (async-signal-safe code only) in a fresh child made with `flags`; returns
// the milliseconds the child measured itself (it writes them to a pipe).
double InChild(uint64_t flags, const std::function<double()>& child) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) Die("pipe2");
  int pidfd = -1;
  pid_t pid = sb::CloneWithPidfd(flags, &pidfd);
  if (pid < 0) Die("clone");
  if (pid == 0) {
    double ms = child();
    (void)!write(fds[1], &ms, sizeof(ms));
    _exit(0);
  }
  close(fds[1]);
  double ms = -1;
  (void)!read(fds[0], &ms, sizeof(ms));
  close(fds[0]);
  siginfo_t info{};
  waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &info, WEXITED);
  close(pidfd);
  if (ms < 0) Die("child step failed");
  return ms;
}

// Writes "0" to each file; the milliseconds it took, or -1.
double JoinAll(const std::vector<std::string>& files) {
  auto t0 = Clock::now();
  for (const std::string& f : files) {
    int fd = open(f.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, "0", 1) != 1) return -1;
    close(fd);
  }
  return Ms(t0, Clock::now());
}

}  // namespace

int main(int argc, char** argv) {
  std::string plugin;
  int runs = 30;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--plugin") {
      plugin = argv[i + 1];
    } else if (a == "--runs") {
      runs = std::max(3, std::atoi(argv[i + 1]));
    } else {
      Die("usage: paddock-sandbox-profile --plugin PATH [--runs N]");
    }
  }
  if (plugin.empty()) Die("usage: paddock-sandbox-profile --plugin PATH [--runs N]");
  int image = open(plugin.c_str(), O_RDONLY | O_CLOEXEC);
  if (image < 0) Die("cannot open " + plugin);

  sb::ElfDeps deps;
  Report("parent: ResolveElfDeps (loader + libraries of the image)", Time(runs, [&] {
           auto d = sb::ResolveElfDeps(image);
           if (!d.ok()) Die(std::string(d.status().message()));
           deps = *d;
         }));
  std::printf("  (%zu libraries + the loader)\n", deps.libraries.size());
  Report("parent: SeccompPlan::Create (libseccomp compile + export)", Time(runs, [&] {
           if (!sb::SeccompPlan::Create({}).ok()) Die("seccomp");
         }));

  char tmpl[] = "/tmp/paddock-profile-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) Die("mkdtemp");
  const std::string dir = tmpl, root = dir + "/root", run = dir + "/run";
  mkdir(root.c_str(), 0755);
  mkdir(run.c_str(), 0700);
  sb::Policy policy;
  policy.root_dir = root;
  policy.binds.push_back({run, "/run", true});
  std::optional<sb::MountPlan> plan;
  Report("parent: MountPlan::Create", Time(runs, [&] {
           auto p = sb::MountPlan::Create(policy, deps);
           if (!p.ok()) Die(std::string(p.status().message()));
           plan.emplace(*std::move(p));
         }));

  auto cgroups =
      sb::CgroupManager::Create("/sys/fs/cgroup", absl::StrCat("paddock-profile-", getpid()));
  if (!cgroups.ok()) Die(std::string(cgroups.status().message()));
  int n = 0;
  Report("parent: CgroupManager::CreateInstance + limits + removal", Time(runs, [&] {
           auto inst = (*cgroups)->CreateInstance(absl::StrCat("i", n++), {64 << 20, 200, 32});
           if (!inst.ok()) Die(std::string(inst.status().message()));
         }));

  const uint64_t ns_flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET;
  Report("clone3 + exit, no namespaces", Time(runs, [&] { InChild(0, [] { return 0.0; }); }));
  Report("clone3 + exit, mnt+pid+ipc+uts+net namespaces",
         Time(runs, [&] { InChild(ns_flags, [] { return 0.0; }); }));
  Report("clone3 + exit, mnt+pid+ipc+uts namespaces (no net)",
         Time(runs, [&] { InChild(ns_flags & ~uint64_t{CLONE_NEWNET}, [] { return 0.0; }); }));

  for (const char* file : {"cgroup.procs", "tasks"}) {
    std::vector<double> joins;
    for (int i = 0; i < runs; ++i) {
      auto inst = (*cgroups)->CreateInstance(absl::StrCat("j", n++), {64 << 20, 200, 32});
      if (!inst.ok()) Die(std::string(inst.status().message()));
      std::vector<std::string> files;
      for (const std::string& d : (*inst)->dirs()) {
        std::string f = d + "/" + file;
        if (access(f.c_str(), W_OK) != 0) f = d + "/cgroup.procs";  // v2 has no tasks.
        files.push_back(f);
      }
      joins.push_back(InChild(0, [&] { return JoinAll(files); }));
    }
    Report(absl::StrCat("child: join the instance cgroups, \"0\" to each ", file), joins);
  }

  std::vector<double> mounts;
  for (int i = 0; i < runs; ++i) {
    mounts.push_back(InChild(CLONE_NEWNS | CLONE_NEWPID, [&] {
      auto t0 = Clock::now();
      if (!plan->ApplyInChild().ok()) return -1.0;
      return Ms(t0, Clock::now());
    }));
  }
  Report(absl::StrCat("child: MountPlan::ApplyInChild (", deps.libraries.size() + 5,
                      " binds, /proc, pivot_root)"),
         mounts);

  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}
