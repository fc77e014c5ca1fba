#include "host/spawner.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "host/invoke_server.h"
#include "paddock/errno_status.h"
#include "plugin-sdk/frame.h"
#include "sandbox/caps.h"
#include "sandbox/clone.h"
#include "sandbox/launcher.h"

namespace paddock::host {
namespace {

constexpr size_t kMaxUnixPath = sizeof(sockaddr_un::sun_path) - 1;
constexpr absl::Duration kLeafLifetime = absl::Hours(24);
// Real-time time per second per CPU for an instance granted CAP_SYS_NICE (25%).
constexpr uint32_t kRealtimeBudgetUs = 250000;

absl::Status MakeDir(const std::string& path, mode_t mode) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return absl::InternalError(absl::StrCat("mkdir ", path, ": ", ec.message()));
  if (chmod(path.c_str(), mode) != 0) return ErrnoStatus(errno, "chmod " + path);
  return absl::OkStatus();
}

// Makes `path` belong to the plugin's uid. A data dir that belonged to another uid (the
// uid range changed) is handed over whole, without following symlinks.
absl::Status HandOver(const std::string& path, uid_t uid, gid_t gid) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return ErrnoStatus(errno, "stat " + path);
  if (st.st_uid == uid && st.st_gid == gid) return absl::OkStatus();
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(path, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    lchown(it->path().c_str(), uid, gid);
  }
  if (lchown(path.c_str(), uid, gid) != 0) return ErrnoStatus(errno, "chown " + path);
  return absl::OkStatus();
}

// The policy for a confined instance; fills the cgroup of `inst`.
absl::StatusOr<sandbox::Policy> ConfinedPolicy(const SpawnRequest& req, Instance& inst,
                                               const std::string& run_dir,
                                               const std::string& data_dir) {
  const EffectiveSandbox& sb = *req.sandbox;
  sandbox::Policy p;
  p.enabled = true;
  p.new_network = !sb.network_host;
  p.root_dir = req.runtime_root + "/.root";
  if (auto st = MakeDir(p.root_dir, 0755); !st.ok()) return st;
  p.binds.push_back({run_dir, "/run", true});
  if (!data_dir.empty()) p.binds.push_back({data_dir, "/data", true});
  p.uid = req.uid;
  p.gid = req.gid;
  for (const std::string& name : sb.capabilities) {
    auto cap = sandbox::CapabilityFromName(name);
    if (!cap.ok()) return cap.status();
    p.capabilities.push_back(*cap);
  }
  p.syscall_groups = sb.syscall_groups;
  sandbox::CgroupLimits limits{sb.memory_bytes, sb.cpu_millis, sb.pids};
  // SCHED_FIFO needs a real-time budget in a v1 cpu cgroup (CONFIG_RT_GROUP_SCHED).
  if (std::count(sb.capabilities.begin(), sb.capabilities.end(), "CAP_SYS_NICE")) {
    limits.rt_runtime_us = kRealtimeBudgetUs;
  }
  auto cg = req.cgroups->CreateInstance(inst.id, limits);
  if (!cg.ok()) return cg.status();
  inst.cgroup = std::move(*cg);
  p.cgroup_dirs = inst.cgroup->dirs();
  p.hostname = inst.plugin;
  return p;
}

// Owns a runtime directory until Release(); removes it on every error path.
class DirGuard {
 public:
  explicit DirGuard(std::string dir) : dir_(std::move(dir)) {}
  ~DirGuard() {
    if (!dir_.empty()) RemoveRuntimeDir(dir_);
  }
  void Release() { dir_.clear(); }

 private:
  std::string dir_;
};

struct Pipe {
  UniqueFd read, write;
};

absl::StatusOr<Pipe> MakePipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return ErrnoStatus(errno, "pipe2");
  Pipe p{UniqueFd(fds[0]), UniqueFd(fds[1])};
  if (fcntl(p.read.get(), F_SETFL, O_NONBLOCK) != 0) return ErrnoStatus(errno, "fcntl");
  return p;
}

}  // namespace

void RemoveRuntimeDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

absl::StatusOr<std::unique_ptr<Instance>> SpawnInstance(const SpawnRequest& req,
                                                        const CertificateAuthority& ca) {
  const auto& manifest = req.image->manifest();
  auto inst = std::make_unique<Instance>();
  absl::BitGen rng;
  inst->plugin = manifest.name();
  inst->generation = req.generation;
  inst->image_sha256 = req.image->sha256_hex();
  inst->id = absl::StrFormat("%s-g%d-%06x", manifest.name(), req.generation,
                             absl::Uniform<uint32_t>(rng, 0, 1u << 24));
  inst->identity = PluginIdentity(manifest.name(), req.generation);

  // Runtime directory: <runtime_root>/<id>/run holds the plugin's socket.
  if (auto st = MakeDir(req.runtime_root, 0711); !st.ok()) return st;
  inst->runtime_dir = req.runtime_root + "/" + inst->id;
  std::string run_dir = inst->runtime_dir + "/run";
  if (auto st = MakeDir(run_dir, 0700); !st.ok()) return st;
  DirGuard guard(inst->runtime_dir);
  if (chmod(inst->runtime_dir.c_str(), 0711) != 0) return ErrnoStatus(errno, "chmod");
  inst->socket_path = run_dir + "/plugin.sock";
  if (inst->socket_path.size() > kMaxUnixPath) {
    return absl::InvalidArgumentError(absl::StrCat("socket path too long for a unix socket (",
                                                   inst->socket_path.size(), " > ", kMaxUnixPath,
                                                   " bytes): shorten runtime_dir"));
  }

  std::string data_dir;
  if (req.sandbox != nullptr && req.sandbox->data_dir) {
    data_dir = req.data_root + "/" + manifest.name();
    if (auto st = MakeDir(data_dir, 0700); !st.ok()) return st;
  }
  if (!req.unconfined) {
    if (auto st = HandOver(run_dir, req.uid, req.gid); !st.ok()) return st;
    if (!data_dir.empty()) {
      if (auto st = HandOver(data_dir, req.uid, req.gid); !st.ok()) return st;
    }
  }

  auto cert = ca.Issue(inst->identity, kLeafLifetime);
  if (!cert.ok()) return cert.status();

  int sp[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) {
    return ErrnoStatus(errno, "socketpair");
  }
  UniqueFd host_end(sp[0]), child_end(sp[1]);
  auto out = MakePipe();
  if (!out.ok()) return out.status();
  auto err = MakePipe();
  if (!err.ok()) return err.status();
  UniqueFd devnull(open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!devnull) return ErrnoStatus(errno, "open /dev/null");

  paddock::v1::Bootstrap boot;
  boot.set_protocol(1);
  boot.set_plugin_name(manifest.name());
  boot.set_generation(req.generation);
  boot.set_instance_id(inst->id);
  // Inside the sandbox the plugin sees its run dir as /run and its data dir as /data.
  boot.set_listen_path(req.unconfined ? inst->socket_path : "/run/plugin.sock");
  boot.set_private_key_pem(cert->private_key_pem);
  boot.set_certificate_pem(cert->certificate_pem);
  boot.set_ca_certificate_pem(ca.certificate_pem());
  boot.set_host_identity(kHostIdentity);
  boot.set_plugin_identity(inst->identity);
  *boot.mutable_config() = req.config;
  boot.set_data_dir(req.unconfined || data_dir.empty() ? data_dir : "/data");
  boot.set_log_level(req.log_level);
  // The host's invoke socket (host/invoke_server.h), when it serves one.
  const std::string host_dir = HostSocketDir(req.runtime_root);
  const bool invoke = access((host_dir + "/" + kInvokeSocketName).c_str(), F_OK) == 0;
  if (invoke) {
    boot.set_host_socket_path(
        absl::StrCat(req.unconfined ? host_dir : kSandboxHostDir, "/", kInvokeSocketName));
  }

  sandbox::LaunchSpec spec;
  spec.exec_fd = req.image->exec_fd();
  spec.argv = {manifest.name()};
  spec.env = {"PATH=/usr/bin:/bin", "LANG=C.UTF-8"};
  spec.fds.push_back({std::move(devnull), 0});
  spec.fds.push_back({std::move(out->write), 1});
  spec.fds.push_back({std::move(err->write), 2});
  spec.fds.push_back({std::move(child_end), 3});
  int next_fd = 4;
  for (const HeldSocket& s : req.sockets) {
    UniqueFd dup(fcntl(s.fd, F_DUPFD_CLOEXEC, 0));
    if (!dup) return ErrnoStatus(errno, "dup socket " + s.name);
    auto* passed = boot.add_fds();
    passed->set_name(s.name);
    passed->set_fd(next_fd);
    passed->set_description(s.description);
    spec.fds.push_back({std::move(dup), next_fd++});
  }
  if (req.unconfined) {
    spec.policy.enabled = false;
  } else {
    auto policy = ConfinedPolicy(req, *inst, run_dir, data_dir);
    if (!policy.ok()) return policy.status();
    spec.policy = std::move(*policy);
    if (invoke) spec.policy.binds.push_back({host_dir, kSandboxHostDir, false});
  }

  inst->spawned_at = absl::Now();
  auto child = sandbox::Launch(std::move(spec));
  if (!child.ok()) return child.status();
  inst->pid = child->pid;
  inst->pidfd = std::move(child->pidfd);
  inst->bootstrap = std::move(host_end);
  inst->out = std::move(out->read);
  inst->err = std::move(err->read);
  inst->confinement = std::move(child->confinement);
  if (child->seccomp_listener.valid()) {
    auto monitor = sandbox::ViolationMonitor::Create(std::move(child->seccomp_listener));
    if (!monitor.ok()) {
      sandbox::KillAndReap(inst->pidfd.get());
      return monitor.status();
    }
    inst->violations = std::move(*monitor);
  }

  // The socketpair buffer holds the whole bootstrap (a few KiB), so this does not block on
  // the child; a child that died already makes it fail with EPIPE, reported as such.
  if (auto st = sdk::WriteFrame(inst->bootstrap.get(), boot); !st.ok()) {
    sandbox::KillAndReap(inst->pidfd.get());
    return absl::UnavailableError(absl::StrCat("writing bootstrap: ", st.message()));
  }
  guard.Release();
  return inst;
}

}  // namespace paddock::host
