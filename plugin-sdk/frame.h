// Length-prefixed protobuf frames on a stream descriptor: the bootstrap channel on fd 3.
// Shared by the SDK (plugin side) and paddockd (host side); include as "plugin-sdk/frame.h".
//
// Wire format: a 4-byte little-endian payload length N, then N bytes of serialized message.
// N is at most kMaxFrameBytes. See proto/paddock/v1/bootstrap.proto.
#pragma once

#include <cstddef>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "google/protobuf/message_lite.h"

namespace paddock::sdk {

// Largest payload a frame may carry (4 MiB).
inline constexpr size_t kMaxFrameBytes = size_t{4} << 20;

// Writes `msg` as one frame to `fd`, handling partial writes, EINTR and non-blocking
// descriptors (waits for POLLOUT). Never raises SIGPIPE on sockets. Blocks until the whole
// frame is written. InvalidArgument if the message is larger than kMaxFrameBytes; the
// errno status of the failing call otherwise (nothing is written for oversize messages).
absl::Status WriteFrame(int fd, const google::protobuf::MessageLite& msg);

// Reads one frame from `fd` into `msg`, waiting at most `timeout` for the whole frame
// (absl::InfiniteDuration() waits forever). Errors:
//   Unavailable       end of stream before the first byte (peer closed),
//   DataLoss          end of stream in the middle of a frame,
//   DeadlineExceeded  the frame did not arrive completely in time,
//   InvalidArgument   the length exceeds kMaxFrameBytes, or the payload does not parse;
// errno statuses for read/poll failures. After an error the stream position is undefined.
absl::Status ReadFrame(int fd, google::protobuf::MessageLite* msg, absl::Duration timeout);

}  // namespace paddock::sdk
