#include "wire.h"

namespace paddock::gcounter {

void WireWriter::U16(uint16_t v) {
  for (int i = 0; i < 2; ++i) U8(static_cast<uint8_t>(v >> (8 * i)));
}
void WireWriter::U32(uint32_t v) {
  for (int i = 0; i < 4; ++i) U8(static_cast<uint8_t>(v >> (8 * i)));
}
void WireWriter::U64(uint64_t v) {
  for (int i = 0; i < 8; ++i) U8(static_cast<uint8_t>(v >> (8 * i)));
}
void WireWriter::Varint(uint64_t v) {
  while (v >= 0x80) {
    U8(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  U8(static_cast<uint8_t>(v));
}
void WireWriter::Bytes(std::string_view b) {
  Varint(b.size());
  Raw(b);
}

size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

bool WireReader::U8(uint8_t* v) {
  if (!ok_ || remaining() < 1) return Fail();
  *v = static_cast<uint8_t>(in_[pos_++]);
  return true;
}
bool WireReader::U16(uint16_t* v) {
  if (!ok_ || remaining() < 2) return Fail();
  *v = 0;
  for (int i = 0; i < 2; ++i)
    *v |= static_cast<uint16_t>(static_cast<uint8_t>(in_[pos_++])) << (8 * i);
  return true;
}
bool WireReader::U32(uint32_t* v) {
  if (!ok_ || remaining() < 4) return Fail();
  *v = 0;
  for (int i = 0; i < 4; ++i)
    *v |= static_cast<uint32_t>(static_cast<uint8_t>(in_[pos_++])) << (8 * i);
  return true;
}
bool WireReader::U64(uint64_t* v) {
  if (!ok_ || remaining() < 8) return Fail();
  *v = 0;
  for (int i = 0; i < 8; ++i)
    *v |= static_cast<uint64_t>(static_cast<uint8_t>(in_[pos_++])) << (8 * i);
  return true;
}
bool WireReader::Varint(uint64_t* v) {
  if (!ok_) return false;
  uint64_t result = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (remaining() < 1) return Fail();
    uint8_t b = static_cast<uint8_t>(in_[pos_++]);
    // The 10th byte may only carry the top bit of a 64-bit value.
    if (shift == 63 && b > 1) return Fail();
    result |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return Fail();
}
bool WireReader::Bytes(std::string_view* b, size_t max_len) {
  uint64_t len = 0;
  if (!Varint(&len)) return false;
  if (len > max_len || len > remaining()) return Fail();
  *b = in_.substr(pos_, len);
  pos_ += len;
  return true;
}

}  // namespace paddock::gcounter
