// Test side of sd_notify(3): a unix datagram socket in a temp dir that stands in for
// systemd's $NOTIFY_SOCKET, receiving each datagram with its sender's credentials.
// Header-only; shared by unit and integration tests.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>

#include "paddock/fd.h"

namespace paddock::testing {

struct NotifyMessage {
  std::string text;  // "READY=1\nSTATUS=..."
  pid_t pid = -1;    // Sender, from SCM_CREDENTIALS.
};

class NotifyListener {
 public:
  // Binds `path` (must not exist). Check ok() afterwards.
  explicit NotifyListener(std::string path) : path_(std::move(path)) {
    fd_ = UniqueFd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd_) return;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path_.size() >= sizeof(addr.sun_path)) return;
    memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
    if (bind(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return;
    int one = 1;
    if (setsockopt(fd_.get(), SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) != 0) return;
    ok_ = true;
  }
  ~NotifyListener() {
    if (ok_) unlink(path_.c_str());
  }

  bool ok() const { return ok_; }
  const std::string& path() const { return path_; }

  // The next datagram, or nullopt after `timeout_s`.
  std::optional<NotifyMessage> Next(double timeout_s) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() < 0) return std::nullopt;
      pollfd p{fd_.get(), POLLIN, 0};
      int r = poll(&p, 1, static_cast<int>(left.count()));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return std::nullopt;
      char buf[4096];
      alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred))];
      iovec iov{buf, sizeof(buf)};
      msghdr msg{};
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof(control);
      ssize_t n = recvmsg(fd_.get(), &msg, MSG_DONTWAIT);
      if (n < 0) continue;
      NotifyMessage m;
      m.text.assign(buf, static_cast<size_t>(n));
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
          ucred cred;
          memcpy(&cred, CMSG_DATA(c), sizeof(cred));
          m.pid = cred.pid;
        }
      }
      return m;
    }
  }

  // Waits for a datagram containing the line `assignment` (e.g. "READY=1"), skipping
  // others (STATUS=/WATCHDOG= updates). Returns it, or nullopt after `timeout_s`.
  std::optional<NotifyMessage> WaitFor(const std::string& assignment, double timeout_s,
                                       std::string* skipped = nullptr) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    for (;;) {
      double left =
          std::chrono::duration<double>(deadline - std::chrono::steady_clock::now()).count();
      if (left <= 0) return std::nullopt;
      auto m = Next(left);
      if (!m) return std::nullopt;
      if (HasLine(m->text, assignment)) return m;
      if (skipped != nullptr) *skipped += m->text + "|";
    }
  }

  // True when `text` has `line` as one of its newline-separated lines.
  static bool HasLine(const std::string& text, const std::string& line) {
    size_t pos = 0;
    while (pos <= text.size()) {
      size_t end = text.find('\n', pos);
      if (end == std::string::npos) end = text.size();
      if (text.compare(pos, end - pos, line) == 0) return true;
      pos = end + 1;
    }
    return false;
  }

 private:
  std::string path_;
  UniqueFd fd_;
  bool ok_ = false;
};

}  // namespace paddock::testing
