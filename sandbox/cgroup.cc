#include "sandbox/cgroup.h"

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "sandbox/cgroup_backend.h"

namespace paddock::sandbox {
namespace {

namespace backend = cgroup_backend;

constexpr const char* kRequired[] = {"memory", "cpu", "pids"};

void SleepMs(long ms) {
  struct timespec ts {
    ms / 1000, (ms % 1000) * 1000000
  };
  ::nanosleep(&ts, nullptr);
}

const char* VersionName(CgroupVersion v) { return v == CgroupVersion::kV2 ? "v2" : "v1"; }

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 128 || name == "." || name == "..") return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// The host's own cgroup paths from /proc/self/cgroup: v1 controller -> path, "" -> v2 path.
absl::StatusOr<std::map<std::string, std::string>> OwnPaths(CgroupFs& fs, const std::string& file) {
  absl::StatusOr<std::string> text = fs.Read(file);
  if (!text.ok()) return text.status();
  std::map<std::string, std::string> own;
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    std::vector<std::string> parts = absl::StrSplit(line, absl::MaxSplits(':', 2));
    if (parts.size() != 3 || parts[2].empty() || parts[2][0] != '/') {
      return absl::DataLossError(absl::StrCat("cgroup: bad line in ", file));
    }
    if (parts[1].empty()) {
      own[""] = parts[2];
      continue;
    }
    for (absl::string_view c : absl::StrSplit(parts[1], ',')) own[std::string(c)] = parts[2];
  }
  return own;
}

std::string Join(const std::string& mount, const std::string& own, const std::string& name) {
  return absl::StrCat(mount, own == "/" ? "" : own, "/", name);
}

// Empties and removes `dir`, retrying while its tasks exit. Used for stale groups.
absl::Status RemoveWithRetry(CgroupFs& fs, const std::string& dir) {
  absl::Status last;
  for (int i = 0; i < 200; ++i) {
    last = fs.RemoveDir(dir);
    if (last.ok()) return last;
    SleepMs(10);
  }
  return last;
}

}  // namespace

// --- InstanceCgroup -------------------------------------------------------------------

InstanceCgroup::InstanceCgroup(std::shared_ptr<CgroupFs> fs, std::vector<Dir> dirs,
                               CgroupLimits limits)
    : fs_(std::move(fs)), dirs_(std::move(dirs)), limits_(limits) {}

InstanceCgroup::~InstanceCgroup() {
  (void)KillAll();
  (void)RemoveDirs();
}

std::vector<std::string> InstanceCgroup::dirs() const {
  std::vector<std::string> out;
  for (const Dir& d : dirs_) {
    if (std::find(out.begin(), out.end(), d.path) == out.end()) out.push_back(d.path);
  }
  return out;
}

std::vector<std::string> InstanceCgroup::Describe() const {
  std::vector<std::string> out;
  for (const Dir& d : dirs_)
    out.push_back(absl::StrCat(VersionName(d.version), ":", d.controller, ":", d.path));
  return out;
}

const InstanceCgroup::Dir* InstanceCgroup::Find(std::string_view controller) const {
  for (const Dir& d : dirs_) {
    if (d.controller == controller) return &d;
  }
  return nullptr;
}

absl::StatusOr<InstanceCgroup::Usage> InstanceCgroup::ReadUsage() const {
  Usage usage;
  for (const Dir& d : dirs_) {
    absl::Status s = d.version == CgroupVersion::kV2
                         ? backend::V2AddUsage(*fs_, d.path, d.controller, &usage)
                         : backend::V1AddUsage(*fs_, d.path, d.controller, &usage);
    if (!s.ok()) return s;
  }
  return usage;
}

absl::StatusOr<std::vector<pid_t>> InstanceCgroup::Tasks() const {
  std::set<pid_t> all;
  for (const std::string& dir : dirs()) {
    absl::StatusOr<std::vector<pid_t>> pids = backend::ReadProcs(*fs_, dir);
    if (!pids.ok()) return pids.status();
    all.insert(pids->begin(), pids->end());
  }
  return std::vector<pid_t>(all.begin(), all.end());
}

absl::Status InstanceCgroup::KillAll(int attempts) {
  for (const Dir& d : dirs_) {
    if (d.version != CgroupVersion::kV2) continue;
    absl::StatusOr<bool> killed = backend::V2Kill(*fs_, d.path);
    if (!killed.ok()) return killed.status();
    break;  // One unified directory holds every task.
  }
  const Dir* freezer = Find("freezer");
  for (int round = 0; round < attempts; ++round) {
    absl::StatusOr<std::vector<pid_t>> tasks = Tasks();
    if (!tasks.ok()) return tasks.status();
    if (tasks->empty()) return absl::OkStatus();
    // Frozen tasks cannot fork while we kill them; the kill lands when they thaw.
    bool frozen = freezer != nullptr && backend::V1Freeze(*fs_, freezer->path, true).ok();
    for (pid_t pid : *tasks) (void)fs_->Signal(pid, SIGKILL);
    if (frozen) (void)backend::V1Freeze(*fs_, freezer->path, false);
    SleepMs(10);
  }
  absl::StatusOr<std::vector<pid_t>> left = Tasks();
  if (left.ok() && left->empty()) return absl::OkStatus();
  return absl::DeadlineExceededError(
      absl::StrCat("cgroup: tasks survive in ", dirs_.empty() ? "" : dirs_[0].path));
}

absl::Status InstanceCgroup::RemoveDirs() {
  absl::Status first;
  for (const std::string& dir : dirs()) {
    absl::Status s = RemoveWithRetry(*fs_, dir);
    if (!s.ok() && first.ok()) first = s;
  }
  // Hand a real-time budget back to the machine (the subtree only kept it for this instance).
  const Dir* cpu = Find("cpu");
  if (limits_.rt_runtime_us && cpu != nullptr && cpu->version == CgroupVersion::kV1) {
    backend::V1ShrinkRtBudget(*fs_, cpu->path.substr(0, cpu->path.rfind('/')));
  }
  return first;
}

// --- CgroupManager --------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<CgroupManager>> CgroupManager::Create(std::string root,
                                                                     std::string name) {
  CgroupOptions options;
  options.root = std::move(root);
  options.name = std::move(name);
  return Create(std::move(options));
}

absl::StatusOr<std::unique_ptr<CgroupManager>> CgroupManager::Create(CgroupOptions options) {
  std::shared_ptr<CgroupFs> fs = options.fs ? options.fs : RealCgroupFs();
  if (!ValidName(options.name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cgroup: bad subtree name \"", options.name, "\""));
  }
  absl::StatusOr<std::map<std::string, std::string>> own = OwnPaths(*fs, options.self_cgroup);
  if (!own.ok()) return own.status();
  auto own_path = [&](const std::string& key) {
    auto it = own->find(key);
    return it == own->end() ? std::string("/") : it->second;
  };

  // The unified hierarchy: at the root (pure v2) or at <root>/unified (hybrid).
  std::string unified;
  std::vector<std::string> v2_available;
  for (const std::string& candidate : {options.root, options.root + "/unified"}) {
    if (fs->Exists(candidate + "/cgroup.controllers")) {
      unified = candidate;
      absl::StatusOr<std::vector<std::string>> available = backend::V2Available(*fs, candidate);
      if (!available.ok()) return available.status();
      v2_available = *std::move(available);
      break;
    }
  }

  std::vector<CgroupController> controllers;
  std::vector<std::string> v2_used;
  std::vector<std::string> missing;
  bool any_v1 = false;
  for (const char* c : kRequired) {
    if (std::find(v2_available.begin(), v2_available.end(), c) != v2_available.end()) {
      controllers.push_back({c, CgroupVersion::kV2, Join(unified, own_path(""), options.name)});
      v2_used.push_back(c);
    } else if (fs->Exists(absl::StrCat(options.root, "/", c, "/cgroup.procs"))) {
      controllers.push_back({c, CgroupVersion::kV1,
                             Join(absl::StrCat(options.root, "/", c), own_path(c), options.name)});
      any_v1 = true;
    } else {
      missing.push_back(c);
    }
  }
  if (!missing.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cgroup: controller(s) ", absl::StrJoin(missing, ", "), " available neither in cgroup v2 ",
        unified.empty() ? "(no unified hierarchy)" : "(" + unified + ")",
        " nor as a v1 hierarchy under ", options.root));
  }
  // v1 extras: CPU time lives in cpuacct when cpu is v1; the freezer makes kills race-free.
  bool cpu_v1 = std::any_of(controllers.begin(), controllers.end(), [](const CgroupController& c) {
    return c.name == "cpu" && c.version == CgroupVersion::kV1;
  });
  for (const char* extra : {"cpuacct", "freezer"}) {
    bool wanted = std::string(extra) == "freezer" ? any_v1 : cpu_v1;
    std::string mount = absl::StrCat(options.root, "/", extra);
    if (wanted && fs->Exists(mount + "/cgroup.procs")) {
      controllers.push_back(
          {extra, CgroupVersion::kV1, Join(mount, own_path(extra), options.name)});
    }
  }

  // Create the subtree bases (several controllers may share one).
  std::set<std::string> bases;
  for (const CgroupController& c : controllers) bases.insert(c.base);
  if (!v2_used.empty()) {
    std::string parent = Join(unified, own_path(""), "");
    parent.pop_back();  // Drop the trailing '/'.
    // Delegated to us with ourselves inside (systemd Delegate=yes): the host moves to
    // the leaf "<name>-host" first, beside the subtree.
    if (absl::Status s =
            backend::V2VacateForChildren(*fs, parent, options.name + "-host", v2_used, ::getpid());
        !s.ok()) {
      return s;
    }
    if (absl::Status s = backend::V2EnableForChildren(*fs, parent, v2_used); !s.ok()) return s;
  }
  for (const std::string& base : bases) {
    if (absl::Status s = fs->MakeDir(base); !s.ok()) return s;
  }
  if (!v2_used.empty()) {
    std::string base = Join(unified, own_path(""), options.name);
    if (absl::Status s = backend::V2EnableForChildren(*fs, base, v2_used); !s.ok()) return s;
  }
  std::unique_ptr<CgroupManager> manager(new CgroupManager(fs, std::move(controllers)));
  if (absl::Status s = manager->RemoveStale(); !s.ok()) return s;
  return manager;
}

absl::Status CgroupManager::RemoveStale() {
  std::set<std::string> bases;
  for (const CgroupController& c : controllers_) bases.insert(c.base);
  for (const std::string& base : bases) {
    absl::StatusOr<std::vector<std::string>> subdirs = fs_->SubDirs(base);
    if (!subdirs.ok()) return subdirs.status();
    for (const std::string& sub : *subdirs) {
      // Reuse the instance logic: kill whatever is left, then remove.
      std::vector<InstanceCgroup::Dir> dirs;
      for (const CgroupController& c : controllers_) {
        if (c.base == base) dirs.push_back({c.name, c.version, base + "/" + sub});
      }
      InstanceCgroup stale(fs_, std::move(dirs), CgroupLimits{});
      if (absl::Status s = stale.KillAll(); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

CgroupManager::~CgroupManager() {
  std::set<std::string> bases;
  for (const CgroupController& c : controllers_) bases.insert(c.base);
  for (const std::string& base : bases) (void)fs_->RemoveDir(base);
}

absl::StatusOr<std::unique_ptr<InstanceCgroup>> CgroupManager::CreateInstance(
    std::string_view instance_id, const CgroupLimits& limits) {
  if (!ValidName(instance_id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cgroup: bad instance id \"", std::string(instance_id), "\""));
  }
  if (limits.cpu_millis != 0 && limits.cpu_millis < 10) {
    return absl::InvalidArgumentError(
        "cgroup: cpu_millis below 10 (the kernel's 1 ms minimum quota)");
  }
  if (limits.memory_bytes != 0 && limits.memory_bytes < (uint64_t{1} << 20)) {
    return absl::InvalidArgumentError("cgroup: memory limit below 1 MiB");
  }
  std::vector<InstanceCgroup::Dir> dirs;
  for (const CgroupController& c : controllers_) {
    dirs.push_back({c.name, c.version, absl::StrCat(c.base, "/", std::string(instance_id))});
  }
  for (const InstanceCgroup::Dir& d : dirs) {
    if (fs_->Exists(d.path)) {
      return absl::AlreadyExistsError(absl::StrCat("cgroup: ", d.path, " exists"));
    }
  }
  // From here on the InstanceCgroup owns the directories: an error destroys it, which
  // removes what was created.
  auto instance = std::unique_ptr<InstanceCgroup>(new InstanceCgroup(fs_, dirs, limits));
  for (const std::string& dir : instance->dirs()) {
    if (absl::Status s = fs_->MakeDir(dir); !s.ok()) return s;
  }
  for (const InstanceCgroup::Dir& d : dirs) {
    absl::Status s = d.version == CgroupVersion::kV2
                         ? backend::V2ApplyLimits(*fs_, d.path, d.controller, limits)
                         : backend::V1ApplyLimits(*fs_, d.path, d.controller, limits);
    if (!s.ok()) return s;
  }
  return instance;
}

std::string CgroupManager::Describe() const {
  std::vector<std::string> parts;
  for (const CgroupController& c : controllers_) {
    parts.push_back(absl::StrCat(c.name, ": ", VersionName(c.version)));
  }
  return absl::StrJoin(parts, ", ");
}

}  // namespace paddock::sandbox
