#include "host/control_socket.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "grpcpp/server_posix.h"
#include "host/host_log.h"
#include "paddock/errno_status.h"

namespace paddock::host {
namespace {

absl::StatusOr<sockaddr_un> UnixAddress(const std::string& path) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(a.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("control socket path \"", path,
                                                   "\" is empty or longer than ",
                                                   sizeof(a.sun_path) - 1, " bytes"));
  }
  memcpy(a.sun_path, path.data(), path.size());
  return a;
}

std::string Dirname(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

absl::Status PrepareControlSocketPath(const std::string& path) {
  auto addr = UnixAddress(path);
  if (!addr.ok()) return addr.status();
  std::string dir = Dirname(path);
  struct stat st;
  if (lstat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT) return ErrnoStatus(errno, "stat " + dir);
    if (mkdir(dir.c_str(), 0700) != 0) return ErrnoStatus(errno, "mkdir " + dir);
    if (lstat(dir.c_str(), &st) != 0) return ErrnoStatus(errno, "stat " + dir);
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("unsafe control socket path: ", dir, " is not a directory (or is a symlink)"));
  }
  if (st.st_uid != geteuid() && st.st_uid != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "unsafe control socket path: ", dir, " is owned by uid ", st.st_uid, ", not by us"));
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (st.st_mode & S_ISVTX) == 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "unsafe control socket path: %s is writable by others (mode %04o) and not sticky", dir,
        st.st_mode & 07777));
  }
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return ErrnoStatus(errno, "stat " + path);
  }
  if (!S_ISSOCK(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("unsafe control socket path: ", path, " exists and is not a socket"));
  }
  if (st.st_uid != geteuid() && st.st_uid != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("unsafe control socket path: ", path, " belongs to uid ", st.st_uid));
  }
  // A socket is there: in use by a live daemon, or stale from one that died.
  UniqueFd probe(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!probe) return ErrnoStatus(errno, "socket");
  if (connect(probe.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof(*addr)) == 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("another paddockd is already listening on ", path));
  }
  if (unlink(path.c_str()) != 0) return ErrnoStatus(errno, "remove stale socket " + path);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ControlSocket>> ControlSocket::Open(const std::string& path,
                                                                   mode_t mode) {
  if (auto st = PrepareControlSocketPath(path); !st.ok()) return st;
  auto addr = UnixAddress(path);
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return ErrnoStatus(errno, "socket");
  // Created owner-only from the first instant; widened below only if the config says so.
  mode_t old = umask(0177);
  int rc = bind(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof(*addr));
  int err = errno;
  umask(old);
  if (rc != 0) return ErrnoStatus(err, "bind " + path);
  if (chmod(path.c_str(), mode) != 0) return ErrnoStatus(errno, "chmod " + path);
  if (listen(fd.get(), 64) != 0) return ErrnoStatus(errno, "listen " + path);
  return std::unique_ptr<ControlSocket>(new ControlSocket(path, std::move(fd)));
}

ControlSocket::~ControlSocket() { Stop(); }

void ControlSocket::Serve(grpc::Server* server) {
  thread_ = std::thread([this, server] { AcceptLoop(server); });
}

void ControlSocket::Stop() {
  if (stopping_.exchange(true)) return;
  // Wakes the blocked accept() with EINVAL.
  shutdown(fd_.get(), SHUT_RDWR);
  if (thread_.joinable()) thread_.join();
  unlink(path_.c_str());
}

void ControlSocket::AcceptLoop(grpc::Server* server) {
  while (!stopping_.load()) {
    int c = accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (c < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE) {
        HostLog(LogLevel::kError, "control socket: out of descriptors; pausing accept");
        usleep(100000);
        continue;
      }
      return;
    }
    UniqueFd conn(c);
    ucred cred{};
    socklen_t len = sizeof(cred);
    if (getsockopt(conn.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) continue;
    if (cred.uid != geteuid() && cred.uid != 0) {
      HostLog(LogLevel::kWarn, absl::StrCat("control socket: refused pid ", cred.pid, " uid ",
                                            cred.uid, " (not the owner)"));
      continue;
    }
    // gRPC takes the descriptor over.
    grpc::AddInsecureChannelFromFd(server, conn.Release());
  }
}

}  // namespace paddock::host
