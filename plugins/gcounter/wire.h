// Byte-level encoding used by the gossip codec and the write-ahead log: little-endian fixed
// integers and LEB128 varints. The reader never reads past its input and reports the first
// problem instead of crashing, so it is safe on untrusted bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace paddock::gcounter {

// Appends to a std::string. Not thread-safe.
class WireWriter {
 public:
  explicit WireWriter(std::string* out) : out_(out) {}
  void U8(uint8_t v) { out_->push_back(static_cast<char>(v)); }
  void U16(uint16_t v);
  void U32(uint32_t v);
  void U64(uint64_t v);
  void Varint(uint64_t v);
  // Varint length, then the bytes.
  void Bytes(std::string_view b);
  void Raw(std::string_view b) { out_->append(b.data(), b.size()); }
  size_t size() const { return out_->size(); }

 private:
  std::string* out_;
};

// Bytes a varint of `v` takes.
size_t VarintSize(uint64_t v);

// Reads from a borrowed byte range. Every getter returns false (and stays failed) once the
// input is short or a varint is over-long; `ok()` tells whether everything read was valid.
class WireReader {
 public:
  explicit WireReader(std::string_view in) : in_(in) {}
  bool U8(uint8_t* v);
  bool U16(uint16_t* v);
  bool U32(uint32_t* v);
  bool U64(uint64_t* v);
  // At most 10 bytes; rejects encodings that overflow 64 bits.
  bool Varint(uint64_t* v);
  // A varint length (at most `max_len`) followed by that many bytes, borrowed from the input.
  bool Bytes(std::string_view* b, size_t max_len);
  bool ok() const { return ok_; }
  size_t remaining() const { return in_.size() - pos_; }
  bool done() const { return pos_ == in_.size(); }

 private:
  bool Fail() {
    ok_ = false;
    return false;
  }
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace paddock::gcounter
