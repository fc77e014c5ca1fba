// The hostile test plugin: a well-formed SDK plugin whose only service tries, on request,
// to escape the sandbox it runs in (tests/integration/hostile_*_test.cc drive it). The
// attempts live in hostile_{fs,kernel,mount,process,network,limits}.cc, one concern per file.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "hostile.grpc.pb.h"
#include "hostile_attempt.h"
#include "paddock/plugin.h"

namespace hostile {

std::string ErrnoName(int err) {
  const char* name = strerrorname_np(err);
  return name != nullptr ? name : "errno " + std::to_string(err);
}

AttemptReply Refused(int err, const std::string& detail) {
  AttemptReply r;
  r.set_outcome("refused");
  r.set_errno_value(err);
  r.set_errno_name(ErrnoName(err));
  r.set_detail(detail);
  return r;
}

AttemptReply Escaped(const std::string& detail) {
  AttemptReply r;
  r.set_outcome("escaped");
  r.set_detail(detail);
  return r;
}

AttemptReply Contained(const std::string& detail) {
  AttemptReply r;
  r.set_outcome("contained");
  r.set_detail(detail);
  return r;
}

AttemptReply Signaled(int sig, const std::string& detail) {
  AttemptReply r;
  r.set_outcome("signaled");
  r.set_signal(sig);
  r.set_detail(detail.empty() ? std::string(sigabbrev_np(sig) ? sigabbrev_np(sig) : "?") : detail);
  return r;
}

AttemptReply Expect(long rc, const std::string& what) {
  if (rc < 0) return Refused(errno, what);
  return Escaped(what + " succeeded (returned " + std::to_string(rc) + ")");
}

ChildReport InChild(const std::function<long()>& fn) {
  ChildReport report;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return report;
  pid_t pid = fork();
  if (pid < 0) {
    report.err = errno;
    close(fds[0]);
    close(fds[1]);
    return report;
  }
  if (pid == 0) {
    close(fds[0]);
    long rc = fn();
    long msg[2] = {rc, errno};
    (void)!write(fds[1], msg, sizeof(msg));
    _exit(0);
  }
  close(fds[1]);
  long msg[2];
  ssize_t n;
  do {
    n = read(fds[0], msg, sizeof(msg));
  } while (n < 0 && errno == EINTR);
  close(fds[0]);
  if (n == sizeof(msg)) {
    report.reported = true;
    report.rc = msg[0];
    report.err = static_cast<int>(msg[1]);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  report.exited = WIFEXITED(status);
  report.status = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
  report.sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  return report;
}

std::string ReadSmallFile(const std::string& path) {
  std::ifstream f(path);
  if (!f) return "";
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

namespace {

const Registry& Attempts() {
  static const Registry* registry = [] {
    auto* r = new Registry;
    AddFileSystemAttempts(*r);
    AddKernelAttempts(*r);
    AddMountAttempts(*r);
    AddProcessAttempts(*r);
    AddNetworkAttempts(*r);
    AddLimitAttempts(*r);
    return r;
  }();
  return *registry;
}

class HostileService final : public paddock::test::hostile::v1::Hostile::Service {
 public:
  grpc::Status Attempt(grpc::ServerContext*, const AttemptRequest* req,
                       AttemptReply* reply) override {
    auto it = Attempts().find(req->name());
    if (it == Attempts().end()) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no attempt named \"" + req->name() + "\"");
    }
    paddock::log::Info("attempt", {{"name", req->name()}});
    *reply = it->second(*req);
    reply->set_name(req->name());
    paddock::log::Info("attempt done", {{"name", req->name()},
                                        {"outcome", reply->outcome()},
                                        {"errno", reply->errno_name()},
                                        {"detail", reply->detail()}});
    return grpc::Status::OK;
  }

  grpc::Status List(grpc::ServerContext*, const paddock::test::hostile::v1::ListRequest*,
                    paddock::test::hostile::v1::ListReply* reply) override {
    for (const auto& [name, fn] : Attempts()) reply->add_names(name);
    return grpc::Status::OK;
  }
};

class Hostile final : public paddock::Plugin {
 public:
  absl::Status Init(paddock::Context& ctx) override {
    ctx.AddService(&service_);
    return absl::OkStatus();
  }

 private:
  HostileService service_;
};

}  // namespace
}  // namespace hostile

PADDOCK_PLUGIN(hostile::Hostile)
