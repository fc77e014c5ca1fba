// RFC 6587 framing of a syslog TCP stream: octet counting ("<len> <frame>") and
// non-transparent framing (frames ended by LF), chosen per frame by its first byte (a digit
// 1-9 starts an octet count, as RFC 6587 section 3.4 suggests receivers decide).
//
// The framer never buffers: Feed() takes the caller's bytes, hands out every complete frame
// as a pointer into them, and says how many bytes it consumed; the caller keeps the rest
// and feeds it again with more data after it. A caller never needs to keep more than
// max_frame + 11 bytes: an LF-framed line that passes max_frame bytes without an LF is
// handed out cut (truncated) and the rest of it up to the LF is skipped; a declared octet
// count above max_frame is a framing error (the connection should be closed: the peer is
// broken or hostile, e.g. "2147483648 ...").
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace paddock::logagg {

class TcpFramer {
 public:
  struct Frame {
    const char* data;
    size_t len;
    bool truncated;
  };

  explicit TcpFramer(size_t max_frame) : max_(max_frame) {}

  // Consumes frames from [data, data + n). `sink(const Frame&)` returns false to refuse a
  // frame (e.g. the ring is full): Feed then returns at that frame's start, unconsumed.
  // Returns the bytes consumed; *error is set (and stays set) on a framing error.
  template <typename Sink>
  size_t Feed(const char* data, size_t n, Sink&& sink, bool* error);

  // Called at end of stream with the unconsumed rest: a final LF-framed line without its
  // LF still counts. Returns true and fills *f when there is one.
  bool Finish(const char* data, size_t n, Frame* f) const;

  // True while the rest of an over-long line is being skipped.
  bool skipping() const { return skipping_; }

 private:
  static constexpr int kMaxDigits = 10;
  const size_t max_;
  bool skipping_ = false;
};

template <typename Sink>
size_t TcpFramer::Feed(const char* data, size_t n, Sink&& sink, bool* error) {
  size_t pos = 0;
  while (pos < n) {
    if (skipping_) {
      const void* lf = std::memchr(data + pos, '\n', n - pos);
      if (lf == nullptr) return n;
      pos = static_cast<size_t>(static_cast<const char*>(lf) - data) + 1;
      skipping_ = false;
      continue;
    }
    char c = data[pos];
    if (c == '\n') {  // Empty line: nothing to keep.
      ++pos;
      continue;
    }
    if (c >= '1' && c <= '9') {
      size_t j = pos;
      uint64_t len = 0;
      while (j < n && j - pos < kMaxDigits && data[j] >= '0' && data[j] <= '9') {
        len = len * 10 + static_cast<uint64_t>(data[j] - '0');
        ++j;
      }
      if (j == n) return pos;  // Count not finished yet.
      if (data[j] == ' ' && j - pos <= kMaxDigits) {
        if (len > max_) {
          *error = true;
          return pos;
        }
        if (n - (j + 1) < len) return pos;  // Frame not complete yet.
        if (!sink(Frame{data + j + 1, static_cast<size_t>(len), false})) return pos;
        pos = j + 1 + static_cast<size_t>(len);
        continue;
      }
      // Digits not followed by a space: an LF-framed line that starts with a digit.
    }
    const void* lfp = std::memchr(data + pos, '\n', n - pos);
    if (lfp != nullptr) {
      size_t lf = static_cast<size_t>(static_cast<const char*>(lfp) - data);
      size_t len = lf - pos;
      bool cut = len > max_;
      if (!sink(Frame{data + pos, cut ? max_ : len, cut})) return pos;
      pos = lf + 1;
      continue;
    }
    // Cut only when more than max_ bytes came without an LF: a line of exactly max_ bytes
    // whose LF is still in flight is whole, as it is when both arrive in one read.
    if (n - pos > max_) {
      if (!sink(Frame{data + pos, max_, true})) return pos;
      skipping_ = true;
      pos += max_;
      continue;
    }
    return pos;  // Line not complete yet.
  }
  return pos;
}

inline bool TcpFramer::Finish(const char* data, size_t n, Frame* f) const {
  if (skipping_ || n == 0) return false;
  // An unfinished octet-counted frame is incomplete data, not a line.
  size_t j = 0;
  while (j < n && j < kMaxDigits && data[j] >= '0' && data[j] <= '9') ++j;
  if (j > 0 && data[0] != '0' && (j == n || data[j] == ' ')) return false;
  *f = Frame{data, n > max_ ? max_ : n, n > max_};
  return true;
}

}  // namespace paddock::logagg
