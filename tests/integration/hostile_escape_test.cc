// The hostile suite, part 1: the hostile plugin runs under the real paddockd beside hello
// and tries, from inside its sandbox, every escape in the list below. Each attempt must
// fail the expected way; the syscalls the seccomp policy refuses must show up by name in
// `paddockctl --json status hostile`; the host, hello and the hostile plugin itself keep
// running throughout.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <set>
#include <sstream>

#include "integration/harness.h"
#include "integration/hostile_util.h"
#include "paddock/fd.h"

using paddock::UniqueFd;
using paddock::testing::Attempt;
using paddock::testing::AttemptResult;
using paddock::testing::BundledPlugin;
using paddock::testing::CmdResult;
using paddock::testing::Host;
using paddock::testing::ProcessAlive;
using paddock::testing::TestPlugin;
namespace v1 = paddock::v1;

namespace {

// A TCP listener on the host's 127.0.0.1, on an ephemeral port.
UniqueFd ListenTcp(int* port) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  REQUIRE(bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), len) == 0);
  REQUIRE(listen(fd.get(), 4) == 0);
  REQUIRE(getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  *port = ntohs(addr.sin_port);
  return fd;
}

// A listening abstract unix socket in the host's network namespace.
UniqueFd ListenAbstract(const std::string& name) {
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path + 1, name.data(), name.size());
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  REQUIRE(bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), len) == 0);
  REQUIRE(listen(fd.get(), 4) == 0);
  return fd;
}

struct Case {
  std::string name;
  std::string fields;     // Extra request fields.
  std::string outcome;    // Expected outcome.
  std::string expect;     // errno name for "refused" ("A|B": either), signal for "signaled".
  std::string violation;  // Syscall the host must report ("" if none).
};

}  // namespace

TEST_CASE("hostile: every escape fails as expected; host and hello are unaffected", "[hostile]") {
  Host host;
  host.AddPlugin(BundledPlugin("hello"), "hello");
  host.AddPlugin(TestPlugin("hostile"), "hostile");
  REQUIRE(host.Start());
  REQUIRE(host.WaitForState("hello", v1::STATE_SERVING, 15));
  REQUIRE(host.WaitForState("hostile", v1::STATE_SERVING, 15));
  const v1::PluginInfo hello = host.Status("hello");
  const v1::PluginInfo hostile = host.Status("hostile");
  const std::string host_pid = "\"pid\": " + std::to_string(host.pid());
  const std::string hello_pid = "\"pid\": " + std::to_string(hello.pid());
  int port = 0;
  UniqueFd tcp = ListenTcp(&port);
  const std::string abstract_name = "paddock-hostile-" + std::to_string(getpid());
  UniqueFd abstract = ListenAbstract(abstract_name);
  auto path = [](const std::string& p) { return "\"path\": \"" + p + "\""; };

  const std::vector<Case> cases = {
      // File system.
      {"chdir_walk", "", "refused", "ENOENT", ""},
      {"nested_chroot", "", "refused", "EPERM", "chroot"},
      {"pivot_root", "", "refused", "EPERM", "pivot_root"},
      {"proc_1_root", "", "refused", "ENOENT", ""},
      {"proc_self_cwd", "", "refused", "ENOENT", ""},
      {"etc_shadow", "", "refused", "ENOENT", ""},
      {"host_config", path(host.config_path()), "refused", "ENOENT", ""},
      {"host_environ", host_pid, "refused", "ENOENT", ""},
      {"host_mem", host_pid, "refused", "ENOENT", ""},
      {"host_root", host_pid, "refused", "ENOENT", ""},
      {"write_ro_bind", "", "refused", "EROFS", ""},
      {"write_ro_root", "", "refused", "EROFS", ""},
      {"exec_dropped", "", "refused", "EACCES", ""},
      {"setuid_binary", "", "contained", "", ""},
      {"sysctl_write", "", "refused", "EACCES", ""},
      // Kernels without CONFIG_MAGIC_SYSRQ / CONFIG_PROC_KCORE (like this project's VMs)
      // have no such file at all.
      {"sysrq_trigger", "", "refused", "EACCES|ENOENT", ""},
      {"kcore", "", "refused", "EACCES|ENOENT", ""},
      {"cgroup_escape", "", "refused", "ENOENT", ""},
      // Mounts and namespaces.
      {"mount", "", "refused", "EPERM", "mount"},
      {"umount2", "", "refused", "EPERM", "umount2"},
      {"remount_rw", "", "refused", "EPERM", "mount"},
      {"open_tree", "", "refused", "EPERM", "open_tree"},
      {"move_mount", "", "refused", "EPERM", "move_mount"},
      {"fsopen", "", "refused", "EPERM", "fsopen"},
      {"fspick", "", "refused", "EPERM", "fspick"},
      {"mount_setattr", "", "refused", "EPERM", "mount_setattr"},
      {"unshare_user_mount", "", "refused", "EPERM", "unshare"},
      {"setns", host_pid, "refused", "EPERM", "setns"},
      // Other processes.
      {"ptrace_host", host_pid, "refused", "EPERM", "ptrace"},
      {"ptrace_traceme", "", "refused", "EPERM", "ptrace"},
      {"process_vm_readv_host", host_pid, "refused", "EPERM", "process_vm_readv"},
      {"kill_all", "", "refused", "ESRCH", ""},
      {"kill_host", host_pid, "refused", "ESRCH", ""},
      {"kill_plugin", hello_pid, "refused", "ESRCH", ""},
      // Kernel attack surface.
      {"bpf", "", "refused", "EPERM", "bpf"},
      {"perf_event_open", "", "refused", "EPERM", "perf_event_open"},
      {"userfaultfd", "", "refused", "EPERM", "userfaultfd"},
      {"io_uring_setup", "", "refused", "EPERM", "io_uring_setup"},
      {"keyctl", "", "refused", "EPERM", "keyctl"},
      {"init_module", "", "refused", "EPERM", "init_module"},
      {"kexec_load", "", "refused", "EPERM", "kexec_load"},
      {"personality", "", "refused", "EPERM", "personality"},
      {"x32_syscall", "", "signaled", std::to_string(SIGSYS), ""},
      {"tiocsti", "", "refused", "EPERM", "ioctl"},
      {"tiocsti_high_bits", "", "refused", "EPERM", "ioctl"},
      {"unknown_syscall", "", "refused", "ENOSYS", ""},
      {"mknod", "", "refused", "EPERM", "mknodat"},
      {"open_by_handle_at", "", "refused", "EPERM", "open_by_handle_at"},
      {"syslog", "", "refused", "EPERM", "syslog"},
      {"reboot", "", "refused", "EPERM", "reboot"},
      {"setuid_root", "", "refused", "EPERM", "setuid"},
      {"capset", "", "refused", "EPERM", "capset"},
      // Network (none granted).
      {"raw_socket", "", "refused", "EPERM", ""},
      {"packet_socket", "", "refused", "ENOSYS", ""},
      {"netlink_socket", "", "refused", "ENOSYS", ""},
      {"connect_host_tcp", "\"port\": " + std::to_string(port), "refused", "ECONNREFUSED", ""},
      {"abstract_unix", path(abstract_name), "refused", "ECONNREFUSED", ""},
      {"host_socket", path(host.socket()), "refused", "ENOENT", ""},
      {"interfaces", "", "contained", "", ""},
      // Limits that do not end the plugin.
      {"fd_exhaustion", "", "refused", "EMFILE", ""},
      {"file_size", "", "refused", "EFBIG", ""},
      {"file_size_signal", "", "signaled", std::to_string(SIGXFSZ), ""},
      {"proc_status", "", "contained", "", ""},
      {"inherited_fds", "", "contained", "", ""},
  };
  REQUIRE(cases.size() >= 30);

  std::map<std::string, AttemptResult> results;
  for (const Case& c : cases) {
    AttemptResult r = Attempt(host, c.name, c.fields);
    results[c.name] = r;
    INFO(c.name << ": " << r.outcome << " " << r.errno_name << " signal " << r.signal << " — "
                << r.detail << r.ctl_error);
    REQUIRE(r.exit_code == 0);
    CHECK(r.outcome == c.outcome);
    if (c.outcome == "refused") {
      CHECK(("|" + c.expect + "|").find("|" + r.errno_name + "|") != std::string::npos);
    }
    if (c.outcome == "signaled") CHECK(std::to_string(r.signal) == c.expect);
  }

  {  // What the attempts saw.
    // The walk ended in the sandbox root, which holds only mount points for the loader,
    // libraries, devices, /proc, /run and /host (the host's invoke socket, read-only).
    std::istringstream root(
        results["chdir_walk"].detail.substr(results["chdir_walk"].detail.find("holds: ") + 7));
    const std::set<std::string> allowed = {"dev",  "lib", "lib64", "usr",
                                           "proc", "run", "data",  "host"};
    for (std::string entry; root >> entry;) {
      INFO(entry);
      CHECK(allowed.count(entry) == 1);
    }
    CHECK(results["chdir_walk"].detail.find("cwd / ") == 0);
    CHECK(results["proc_1_root"].detail.find("/proc/1/root -> /;") == 0);
    CHECK(results["setuid_binary"].count == 0);
    CHECK(results["setuid_binary"].detail.find("NoNewPrivs 1") != std::string::npos);
    CHECK(results["setuid_binary"].detail.find(" 0 without nosuid") != std::string::npos);
    CHECK(results["interfaces"].detail == "interfaces: lo");
    CHECK(results["unshare_user_mount"].detail.find("then mount: EPERM") != std::string::npos);
    CHECK(results["unshare_user_mount"].detail.find("clone(CLONE_NEWUSER): EPERM") !=
          std::string::npos);
    CHECK(results["setns"].detail.find("ENOENT") != std::string::npos);
    CHECK(results["kill_plugin"].detail.find("pidfd_open: ENOSYS") != std::string::npos);
    // Credentials as the kernel reports them.
    const std::string& st = results["proc_status"].detail;
    CHECK(st.find("CapEff: 0000000000000000") != std::string::npos);
    CHECK(st.find("CapPrm: 0000000000000000") != std::string::npos);
    CHECK(st.find("CapBnd: 0000000000000000") != std::string::npos);
    CHECK(st.find("CapAmb: 0000000000000000") != std::string::npos);
    CHECK(st.find("NoNewPrivs: 1") != std::string::npos);
    CHECK(st.find("Seccomp: 2") != std::string::npos);
    CHECK(st.find("Uid: " + std::to_string(hostile.confinement().uid())) != std::string::npos);
    CHECK(st.find("Groups: ;") != std::string::npos);
    // Descriptors: stdio pipes, the bootstrap socket and the plugin's own; no host file.
    std::istringstream fds(results["inherited_fds"].detail);
    for (std::string fd; std::getline(fds, fd, ';');) {
      INFO(fd);
      size_t target = fd.find(' ', fd.find_first_not_of(' '));
      std::string t = fd.substr(target + 1);
      CHECK((t[0] != '/' || t == "/dev/null" || t == "/dev/urandom" || t.rfind("/run/", 0) == 0));
    }
    CHECK(results["fd_exhaustion"].count > 900);
    CHECK(results["fd_exhaustion"].detail.find("RLIMIT_NOFILE 1024") != std::string::npos);
  }

  {  // Refused syscalls are reported by name, unknown ones are not.
    v1::PluginInfo info = host.Status("hostile");
    std::map<std::string, v1::PolicyViolation> seen;
    for (const auto& v : info.confinement().violations()) seen[v.syscall()] = v;
    for (const Case& c : cases) {
      if (c.violation.empty()) continue;
      INFO(c.name << " should be reported as " << c.violation);
      REQUIRE(seen.count(c.violation) == 1);
      CHECK(seen[c.violation].count() >= 1);
      CHECK(seen[c.violation].action() == "denied");
    }
    CHECK(seen.count("syscall_1000") == 0);
    CmdResult human = host.Ctl({"status", "hostile"});
    CHECK(human.out.find("ptrace") != std::string::npos);
    CHECK(host.Log().find("hostile g1: policy violation: ptrace denied") != std::string::npos);
  }

  {  // The confinement in status is what the manifest asked for.
    const v1::Confinement& c = hostile.confinement();
    CHECK(c.enabled());
    std::set<std::string> ns(c.namespaces().begin(), c.namespaces().end());
    for (const char* want : {"mnt", "pid", "ipc", "uts", "net", "cgroup"}) CHECK(ns.count(want));
    CHECK(c.uid() >= 600000);
    CHECK(c.uid() != hello.confinement().uid());
    CHECK(c.capabilities_size() == 0);
    CHECK(c.seccomp_mode() == "filter");
    CHECK(c.memory_limit_bytes() == HOSTILE_MEMORY_BYTES);  // tests/test-plugins
    CHECK(c.cpu_limit_millis() == 250);
    CHECK(c.pids_limit() == 32);
    CHECK(c.network() == "none");
    CHECK(c.cgroup_paths_size() >= 3);
  }

  // Nothing the attempts did reached the host, hello or even killed the hostile plugin.
  CHECK(ProcessAlive(host.pid()));
  v1::PluginInfo hello_after = host.Status("hello");
  CHECK(hello_after.pid() == hello.pid());
  CHECK(hello_after.restarts() == 0);
  CHECK(hello_after.confinement().violations_size() == 0);
  CHECK(host.Ctl({"call", "hello", "Greet", "{\"name\":\"still here\"}"}).exit_code == 0);
  v1::PluginInfo hostile_after = host.Status("hostile");
  CHECK(hostile_after.pid() == hostile.pid());
  CHECK(hostile_after.generation() == 1);
  CHECK(hostile_after.state() == v1::STATE_SERVING);
  CHECK(paddock::testing::StopHost(host));
}
