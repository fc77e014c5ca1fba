// Fuzzes the bootstrap channel (fd 3): the frame decoder both sides use
// (plugin-sdk/frame.cc ReadFrame) and the plugin's check of what it received
// (plugin-sdk/bootstrap.cc ValidateBootstrap). The host reads the plugin's BootstrapReply
// through the same decoder, and a plugin is untrusted, so both directions are covered.
//
// Input: byte 0 picks the direction (even: a plugin reading Bootstrap frames; odd: the
// host reading BootstrapReply frames), the rest is the byte stream as it arrives on the
// socket. It is written into a pipe whose write end is then closed, and frames are read
// until the decoder reports the end or an error. Invariants beyond "no crash, no leak,
// no UB": a frame that decodes re-encodes to a frame that decodes to the same message;
// the stream errors are the documented ones.
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string_view>

#include "absl/time/time.h"
#include "fuzz_check.h"
#include "google/protobuf/util/message_differencer.h"
#include "paddock/fd.h"
#include "paddock/v1/bootstrap.pb.h"
#include "plugin-sdk/bootstrap.h"
#include "plugin-sdk/frame.h"

namespace {

using paddock::UniqueFd;

// Pipe capacity the fuzzer asks for; longer inputs are cut to it (the frame limit is
// 4 MiB, but inputs this long teach the fuzzer nothing a short one does not).
constexpr size_t kPipeBytes = 1 << 20;

bool ExpectedError(const absl::Status& st) {
  switch (st.code()) {
    case absl::StatusCode::kUnavailable:      // End of stream before a frame.
    case absl::StatusCode::kDataLoss:         // End of stream inside a frame.
    case absl::StatusCode::kInvalidArgument:  // Oversize length or unparsable payload.
      return true;
    default:
      return false;
  }
}

template <typename Msg>
void RoundTrip(const Msg& m) {
  int p[2];
  FUZZ_CHECK(pipe2(p, O_CLOEXEC) == 0);
  UniqueFd r(p[0]), w(p[1]);
  fcntl(w.get(), F_SETPIPE_SZ, static_cast<int>(kPipeBytes));
  if (m.ByteSizeLong() + 4 > static_cast<size_t>(fcntl(w.get(), F_GETPIPE_SZ))) return;
  FUZZ_CHECK(paddock::sdk::WriteFrame(w.get(), m).ok());
  w = UniqueFd();
  Msg back;
  absl::Status st = paddock::sdk::ReadFrame(r.get(), &back, absl::Seconds(1));
  if (!st.ok()) std::fprintf(stderr, "re-read: %s\n", st.ToString().c_str());
  FUZZ_CHECK(st.ok());
  FUZZ_CHECK(google::protobuf::util::MessageDifferencer::Equals(m, back));
}

template <typename Msg, typename Check>
void ReadAll(std::string_view stream, Check check) {
  int p[2];
  FUZZ_CHECK(pipe2(p, O_CLOEXEC) == 0);
  UniqueFd r(p[0]), w(p[1]);
  fcntl(w.get(), F_SETPIPE_SZ, static_cast<int>(kPipeBytes));
  size_t room = static_cast<size_t>(fcntl(w.get(), F_GETPIPE_SZ));
  if (stream.size() > room) stream = stream.substr(0, room);
  size_t off = 0;
  while (off < stream.size()) {
    ssize_t n = write(w.get(), stream.data() + off, stream.size() - off);
    FUZZ_CHECK(n > 0);
    off += static_cast<size_t>(n);
  }
  w = UniqueFd();  // The peer is gone: the decoder sees the end of the stream.
  for (int frames = 0; frames < 64; ++frames) {
    Msg m;
    absl::Status st = paddock::sdk::ReadFrame(r.get(), &m, absl::Seconds(1));
    if (!st.ok()) {
      FUZZ_CHECK(ExpectedError(st));
      return;
    }
    check(m);
    RoundTrip(m);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 1) == 0) {
    ReadAll<paddock::v1::Bootstrap>(stream, [](const paddock::v1::Bootstrap& b) {
      (void)paddock::sdk::ValidateBootstrap(b, "hello");
      (void)paddock::sdk::ValidateBootstrap(b, b.plugin_name());
    });
  } else {
    ReadAll<paddock::v1::BootstrapReply>(stream, [](const paddock::v1::BootstrapReply&) {});
  }
  return 0;
}
