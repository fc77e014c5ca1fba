// The bundled hello plugin (a real SDK plugin: gRPC, OpenSSL, threads) under the full
// confinement: it must bootstrap, serve an mTLS call through its /run socket and stop
// on SIGTERM without a single seccomp violation. Needs root (integration).
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>
#include <thread>

#include "grpcpp/client_context.h"
#include "hello.grpc.pb.h"
#include "plugin-sdk/frame.h"
#include "plugin-sdk/plugin_process.h"
#include "sandbox/cgroup.h"
#include "sandbox/kernel.h"
#include "sandbox/launcher.h"
#include "sandbox/seccomp.h"
#include "test_util.h"

namespace paddock::sandbox {
namespace {

const std::string kHello = PADDOCK_BUILD_DIR "/lib/paddock/plugins/hello";

// Answers seccomp notifications on a thread, as paddockd's event loop would.
class MonitorThread {
 public:
  explicit MonitorThread(UniqueFd listener) {
    auto monitor = ViolationMonitor::Create(std::move(listener));
    REQUIRE(monitor.ok());
    monitor_ = *std::move(monitor);
    thread_ = std::thread([this] { Loop(); });
  }
  ~MonitorThread() {
    stop_ = true;
    thread_.join();
  }
  std::vector<std::string> violations() {
    std::lock_guard<std::mutex> lock(mu_);
    return violations_;
  }

 private:
  void Loop() {
    while (!stop_) {
      struct pollfd pfd {
        monitor_->fd(), POLLIN, 0
      };
      if (::poll(&pfd, 1, 50) <= 0) continue;
      if (pfd.revents & POLLIN) {
        absl::StatusOr<Violation> v = monitor_->HandleOne();
        std::lock_guard<std::mutex> lock(mu_);
        if (v.ok()) violations_.push_back(v->syscall);
      } else if (pfd.revents & (POLLHUP | POLLERR)) {
        return;
      }
    }
  }
  std::unique_ptr<ViolationMonitor> monitor_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<std::string> violations_;
};

TEST_CASE("the hello plugin serves confined, without violations") {
  if (!testing::RequireRoot()) return;
  if (::access(kHello.c_str(), R_OK) != 0) {
    WARN("skipped: " << kHello << " not built");
    return;
  }
  auto cgroups =
      CgroupManager::Create("/sys/fs/cgroup", absl::StrCat("paddock-hello-", ::getpid()));
  REQUIRE(cgroups.ok());
  auto cg = (*cgroups)->CreateInstance("hello-7", {256 << 20, 1000, 64});
  REQUIRE(cg.ok());

  testing::TempDir run;
  REQUIRE(::chown(run.path().c_str(), 60123, 60123) == 0);
  paddock::testing::TestPki pki = paddock::testing::TestPki::Make();
  v1::Bootstrap boot = paddock::testing::MakeBootstrap(pki, "hello", 7, "/run/plugin.sock");

  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
  UniqueFd host_end(sv[0]);
  testing::Pipe err = testing::MakePipe();
  testing::ConfinedProbe confined({});
  LaunchSpec spec = std::move(confined.spec);
  spec.exec_fd = testing::CachedImage(kHello);
  spec.argv = {"hello"};
  spec.fds.push_back(FdMapping{UniqueFd(sv[1]), 3});
  spec.fds.push_back(FdMapping{std::move(err.write), 2});
  spec.policy.binds = {{run.path(), "/run", true}};
  spec.policy.cgroup_dirs = (*cg)->dirs();
  const absl::Time launch_start = absl::Now();
  absl::StatusOr<Child> child = Launch(std::move(spec));
  const absl::Duration launch_time = absl::Now() - launch_start;
  INFO(child.status().ToString());
  REQUIRE(child.ok());
  WARN("Launch (plan, clone, confine, exec): " << absl::FormatDuration(launch_time)
                                               << ", mounts: " << child->confinement.mounts.size());
  MonitorThread monitor(std::move(child->seccomp_listener));

  const absl::Time t0 = absl::Now();
  REQUIRE(sdk::WriteFrame(host_end.get(), boot).ok());
  v1::BootstrapReply reply;
  absl::Status read = sdk::ReadFrame(host_end.get(), &reply, absl::Seconds(20));
  if (!read.ok() || !reply.ready()) {
    kernel::PidfdSendSignal(child->pidfd.get(), SIGKILL);
    testing::WaitPidfd(child->pidfd.get());
    FAIL("bootstrap: " << read << " " << reply.error() << "\nstderr:\n"
                       << testing::ReadAll(err.read.get(), 1000)
                       << "\nviolations: " << monitor.violations().size());
  }

  WARN("bootstrap to ready, confined: " << absl::FormatDuration(absl::Now() - t0));
  auto channel =
      paddock::testing::MakeChannel(run.path() + "/plugin.sock", pki.ca->certificate_pem(),
                                    pki.host_cert, boot.plugin_identity());
  hello::v1::GreetRequest req;
  req.set_name("Ada");
  hello::v1::GreetReply greet;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Status st = hello::v1::Hello::NewStub(channel)->Greet(&ctx, req, &greet);
  INFO(st.error_message());
  CHECK(st.ok());
  CHECK(greet.message() == "Hello, Ada!");
  auto usage = (*cg)->ReadUsage();
  REQUIRE(usage.ok());
  CHECK(usage->memory_current > 0);
  CHECK(usage->pids_current >= 2);  // gRPC threads are accounted in the instance.

  const absl::Time t1 = absl::Now();
  REQUIRE(kernel::PidfdSendSignal(child->pidfd.get(), SIGTERM) == 0);
  testing::Outcome out = testing::WaitPidfd(child->pidfd.get(), 20000);
  // The SDK waits for open connections up to its grace (~2.4 s): the host channel is open.
  WARN("SIGTERM to exit: " << absl::FormatDuration(absl::Now() - t1));
  std::string log = testing::ReadAll(err.read.get(), 2000);
  INFO(log);
  CHECK(out.Exited(0));
  CHECK(monitor.violations().empty());
}

}  // namespace
}  // namespace paddock::sandbox
