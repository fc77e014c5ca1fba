// Bootstrap handshake (see bootstrap.h).
#include "plugin-sdk/bootstrap.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "paddock/errno_status.h"
#include "plugin-sdk/frame.h"
#include "plugin-sdk/log_internal.h"
#include "plugin-sdk/protocol.h"

namespace paddock::sdk {
namespace {

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("bootstrap: ", what));
}

bool LooksLikePem(const std::string& s, absl::string_view label_suffix) {
  return absl::StrContains(s, "-----BEGIN ") && absl::StrContains(s, label_suffix);
}

}  // namespace

absl::Status CheckBootstrapSocket(int fd) {
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("fd ", fd,
                     " is not the bootstrap socket. This is a Paddock plugin; run it "
                     "under paddockd (or pass --manifest to print what it declares)."));
  }
  int type = 0;
  socklen_t len = sizeof(type);
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) {
    return ErrnoStatus(errno, absl::StrCat("getsockopt SO_TYPE on fd ", fd));
  }
  if (type != SOCK_STREAM) {
    return absl::FailedPreconditionError(
        absl::StrCat("fd ", fd, " must be a SOCK_STREAM socket (got type ", type, ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Bootstrap> ReadBootstrap(int fd, absl::Duration timeout) {
  v1::Bootstrap b;
  if (absl::Status st = ReadFrame(fd, &b, timeout); !st.ok()) {
    return absl::Status(st.code(), absl::StrCat("reading the bootstrap: ", st.message()));
  }
  return b;
}

absl::Status ValidateBootstrap(const v1::Bootstrap& b, std::string_view plugin_name) {
  if (b.protocol() != kBootstrapProtocol) {
    return Invalid(absl::StrCat("protocol ", b.protocol(), " is not supported (this SDK speaks ",
                                kBootstrapProtocol, ")"));
  }
  if (b.plugin_name() != plugin_name) {
    return Invalid(absl::StrCat("plugin_name \"", absl::CEscape(b.plugin_name()),
                                "\" does not match this plugin's manifest name \"",
                                absl::string_view(plugin_name.data(), plugin_name.size()), "\""));
  }
  if (b.listen_path().empty()) return Invalid("listen_path is empty");
  if (b.listen_path().size() >= sizeof(sockaddr_un::sun_path)) {
    return Invalid(absl::StrCat("listen_path is ", b.listen_path().size(),
                                " bytes; a unix socket path must be under ",
                                sizeof(sockaddr_un::sun_path)));
  }
  if (b.listen_path().find('\0') != std::string::npos) {
    return Invalid("listen_path contains a NUL byte");
  }
  if (b.host_socket_path().size() >= sizeof(sockaddr_un::sun_path)) {
    return Invalid(absl::StrCat("host_socket_path is ", b.host_socket_path().size(),
                                " bytes; a unix socket path must be under ",
                                sizeof(sockaddr_un::sun_path)));
  }
  if (b.host_socket_path().find('\0') != std::string::npos) {
    return Invalid("host_socket_path contains a NUL byte");
  }
  if (!LooksLikePem(b.private_key_pem(), "PRIVATE KEY-----")) {
    return Invalid("private_key_pem is not a PEM private key");
  }
  if (!LooksLikePem(b.certificate_pem(), "CERTIFICATE-----")) {
    return Invalid("certificate_pem is not a PEM certificate");
  }
  if (!LooksLikePem(b.ca_certificate_pem(), "CERTIFICATE-----")) {
    return Invalid("ca_certificate_pem is not a PEM certificate");
  }
  if (b.host_identity().empty()) return Invalid("host_identity is empty");
  if (b.plugin_identity().empty()) return Invalid("plugin_identity is empty");
  if (!b.log_level().empty() && !ParseLogLevel(b.log_level())) {
    return Invalid(absl::StrCat("log_level \"", absl::CEscape(b.log_level()),
                                "\" is not one of debug, info, warn, error"));
  }
  std::set<std::string> names;
  std::set<int> numbers;
  for (const auto& f : b.fds()) {
    if (f.name().empty()) return Invalid("a passed descriptor has no name");
    if (!names.insert(f.name()).second) {
      return Invalid(absl::StrCat("descriptor name ", f.name(), " is passed twice"));
    }
    if (f.fd() <= kBootstrapFd || !numbers.insert(f.fd()).second) {
      return Invalid(absl::StrCat("descriptor ", f.name(), " has invalid number ", f.fd()));
    }
    if (::fcntl(f.fd(), F_GETFD) < 0) {
      return Invalid(absl::StrCat("descriptor ", f.name(), " (fd ", f.fd(), ") is not open"));
    }
  }
  return absl::OkStatus();
}

absl::Status WriteBootstrapReply(int fd, bool ready, std::string_view error) {
  v1::BootstrapReply reply;
  reply.set_ready(ready);
  reply.set_error(std::string(error));
  reply.set_pid(static_cast<int32_t>(::getpid()));
  return WriteFrame(fd, reply);
}

}  // namespace paddock::sdk
