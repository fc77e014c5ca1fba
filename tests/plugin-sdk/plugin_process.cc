// Test harness (see plugin_process.h).
#include "plugin-sdk/plugin_process.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "paddock/errno_status.h"

namespace paddock::testing {

TempDir::TempDir() {
  char tmpl[] = "/tmp/paddock-sdk-test.XXXXXX";
  if (mkdtemp(tmpl) == nullptr) abort();
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

absl::StatusOr<std::unique_ptr<PluginProcess>> PluginProcess::Spawn(const std::string& binary,
                                                                    std::vector<std::string> args,
                                                                    bool with_bootstrap_socket) {
  int sv[2] = {-1, -1};
  if (with_bootstrap_socket && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return ErrnoStatus(errno, "socketpair");
  }
  UniqueFd parent_end(sv[0]), child_end(sv[1]);
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) return ErrnoStatus(errno, "pipe2");
  UniqueFd err_read(pipefd[0]), err_write(pipefd[1]);

  std::vector<std::string> argv_s = {binary};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  char* envp[] = {nullptr};

  pid_t pid = fork();
  if (pid < 0) return ErrnoStatus(errno, "fork");
  if (pid == 0) {
    // Only async-signal-safe calls until exec: the test process has gRPC threads.
    if (dup2(err_write.get(), 1) < 0 || dup2(err_write.get(), 2) < 0) _exit(127);
    if (child_end.valid()) {
      if (child_end.get() == 3) {
        fcntl(3, F_SETFD, 0);
      } else if (dup2(child_end.get(), 3) < 0) {
        _exit(127);
      }
    } else {
      close(3);
    }
    execve(argv[0], argv.data(), envp);
    _exit(127);
  }
  auto p = std::unique_ptr<PluginProcess>(new PluginProcess());
  p->pid_ = pid;
  p->boot_ = std::move(parent_end);
  p->err_ = std::move(err_read);
  fcntl(p->err_.get(), F_SETFL, O_NONBLOCK);
  return p;
}

PluginProcess::~PluginProcess() {
  if (!reaped_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

absl::StatusOr<int> PluginProcess::Wait(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      return status;
    }
    if (r < 0) return ErrnoStatus(errno, "waitpid");
    if (absl::Now() > deadline) return absl::DeadlineExceededError("plugin did not exit");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::string PluginProcess::Output() {
  char buf[4096];
  for (;;) {
    ssize_t r = read(err_.get(), buf, sizeof(buf));
    if (r <= 0) break;
    err_text_.append(buf, static_cast<size_t>(r));
  }
  return err_text_;
}

TestPki TestPki::Make() {
  TestPki pki;
  auto ca = host::CertificateAuthority::Create("Paddock test CA", absl::Hours(1));
  if (!ca.ok()) abort();
  pki.ca = std::move(*ca);
  auto host = pki.ca->Issue(host::kHostIdentity, absl::Hours(1));
  if (!host.ok()) abort();
  pki.host_cert = std::move(*host);
  return pki;
}

v1::Bootstrap MakeBootstrap(const TestPki& pki, const std::string& name, uint64_t generation,
                            const std::string& socket_path) {
  const std::string identity = host::PluginIdentity(name, generation);
  auto cert = pki.ca->Issue(identity, absl::Hours(1));
  if (!cert.ok()) abort();
  v1::Bootstrap b;
  b.set_protocol(1);
  b.set_plugin_name(name);
  b.set_generation(generation);
  b.set_instance_id(name + "-test");
  b.set_listen_path(socket_path);
  b.set_private_key_pem(cert->private_key_pem);
  b.set_certificate_pem(cert->certificate_pem);
  b.set_ca_certificate_pem(pki.ca->certificate_pem());
  b.set_host_identity(host::kHostIdentity);
  b.set_plugin_identity(identity);
  b.mutable_config()->set_version(1);
  b.mutable_config()->set_json("{}");
  b.set_log_level("debug");
  return b;
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& socket_path,
                                           const std::string& ca_pem,
                                           const host::IssuedCert& client,
                                           const std::string& server_identity) {
  grpc::SslCredentialsOptions opts;
  opts.pem_root_certs = ca_pem;
  opts.pem_private_key = client.private_key_pem;
  opts.pem_cert_chain = client.certificate_pem;
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride(server_identity);
  // A fresh connection per channel, so each test sees its own handshake.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel("unix:" + socket_path, grpc::SslCredentials(opts), args);
}

}  // namespace paddock::testing
