// Length-prefixed frames (see frame.h).
#include "plugin-sdk/frame.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "paddock/errno_status.h"

namespace paddock::sdk {
namespace {

using Clock = std::chrono::steady_clock;
// nullopt = no deadline.
using Deadline = std::optional<Clock::time_point>;

constexpr size_t kHeaderBytes = 4;

// Waits until `fd` reports `events` (or an error/hangup, which the following read/write
// turns into a status) or `deadline` passes. Uses the monotonic clock.
absl::Status WaitFor(int fd, short events, const Deadline& deadline) {
  for (;;) {
    int timeout_ms = -1;
    if (deadline) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now());
      if (left.count() <= 0) {
        return absl::DeadlineExceededError(absl::StrCat("fd ", fd, ": timed out"));
      }
      timeout_ms = left.count() > INT_MAX ? INT_MAX : static_cast<int>(left.count());
    }
    pollfd p{.fd = fd, .events = events, .revents = 0};
    int r = ::poll(&p, 1, timeout_ms);
    if (r < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, absl::StrCat("poll fd ", fd));
    }
    if (r == 0) continue;  // Timed out: the loop head reports it.
    if (p.revents & POLLNVAL) return ErrnoStatus(EBADF, absl::StrCat("poll fd ", fd));
    return absl::OkStatus();
  }
}

// Reads exactly `n` bytes into `buf`. `*total` counts bytes read so far in this frame
// (to tell a clean end of stream from a truncated frame).
absl::Status ReadFull(int fd, char* buf, size_t n, const Deadline& deadline, size_t* total) {
  size_t done = 0;
  while (done < n) {
    if (absl::Status st = WaitFor(fd, POLLIN, deadline); !st.ok()) return st;
    ssize_t r = ::read(fd, buf + done, n - done);
    if (r < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return ErrnoStatus(errno, absl::StrCat("read fd ", fd));
    }
    if (r == 0) {
      if (*total == 0) {
        return absl::UnavailableError(absl::StrCat("fd ", fd, ": peer closed the stream"));
      }
      return absl::DataLossError(
          absl::StrCat("fd ", fd, ": stream ended inside a frame after ", *total, " bytes"));
    }
    done += static_cast<size_t>(r);
    *total += static_cast<size_t>(r);
  }
  return absl::OkStatus();
}

// Writes all of `data`. send(MSG_NOSIGNAL) keeps a closed peer from raising SIGPIPE;
// descriptors that are not sockets fall back to write().
absl::Status WriteFull(int fd, const std::string& data) {
  bool is_socket = true;
  size_t done = 0;
  while (done < data.size()) {
    ssize_t r = is_socket ? ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL)
                          : ::write(fd, data.data() + done, data.size() - done);
    if (r < 0) {
      if (errno == ENOTSOCK && is_socket) {
        is_socket = false;
        continue;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        if (absl::Status st = WaitFor(fd, POLLOUT, std::nullopt); !st.ok()) return st;
        continue;
      }
      return ErrnoStatus(errno, absl::StrCat("write fd ", fd));
    }
    done += static_cast<size_t>(r);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteFrame(int fd, const google::protobuf::MessageLite& msg) {
  if (fd < 0) return ErrnoStatus(EBADF, absl::StrCat("write frame to fd ", fd));
  const size_t size = msg.ByteSizeLong();
  if (size > kMaxFrameBytes) {
    return absl::InvalidArgumentError(absl::StrCat(msg.GetTypeName(), " of ", size,
                                                   " bytes exceeds the frame limit of ",
                                                   kMaxFrameBytes, " bytes"));
  }
  std::string buf(kHeaderBytes + size, '\0');
  for (size_t i = 0; i < kHeaderBytes; ++i) {
    buf[i] = static_cast<char>((size >> (8 * i)) & 0xff);
  }
  if (!msg.SerializeToArray(buf.data() + kHeaderBytes, static_cast<int>(size))) {
    return absl::InvalidArgumentError(
        absl::StrCat("could not serialize ", msg.GetTypeName(), " (missing required fields?)"));
  }
  absl::Status st = WriteFull(fd, buf);
  // Frames carry private keys (the bootstrap); leave no copy in freed heap memory.
  explicit_bzero(buf.data(), buf.size());
  return st;
}

absl::Status ReadFrame(int fd, google::protobuf::MessageLite* msg, absl::Duration timeout) {
  if (fd < 0) return ErrnoStatus(EBADF, absl::StrCat("read frame from fd ", fd));
  // Timeouts beyond a year are as good as infinite (and keep the clock arithmetic in range).
  Deadline deadline;
  if (timeout < absl::Hours(24 * 365)) {
    deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(absl::ToChronoNanoseconds(
                                  std::max(timeout, absl::ZeroDuration())));
  }
  size_t total = 0;
  unsigned char header[kHeaderBytes];
  if (absl::Status st =
          ReadFull(fd, reinterpret_cast<char*>(header), kHeaderBytes, deadline, &total);
      !st.ok()) {
    return st;
  }
  uint32_t size = 0;
  for (size_t i = 0; i < kHeaderBytes; ++i) size |= uint32_t{header[i]} << (8 * i);
  if (size > kMaxFrameBytes) {
    return absl::InvalidArgumentError(absl::StrCat("fd ", fd, ": frame length ", size,
                                                   " exceeds the limit of ", kMaxFrameBytes,
                                                   " bytes (not a Paddock frame?)"));
  }
  std::string payload(size, '\0');
  absl::Status st = ReadFull(fd, payload.data(), size, deadline, &total);
  const bool parsed = st.ok() && msg->ParseFromString(payload);
  // Frames carry private keys (the bootstrap); leave no copy in freed heap memory.
  explicit_bzero(payload.data(), payload.size());
  if (!st.ok()) return st;
  if (!parsed) {
    return absl::InvalidArgumentError(
        absl::StrCat("fd ", fd, ": frame of ", size, " bytes is not a valid ", msg->GetTypeName()));
  }
  return absl::OkStatus();
}

}  // namespace paddock::sdk
