#include "crc32c.h"

#include <nmmintrin.h>

#include <array>
#include <cstring>

namespace paddock::logagg {
namespace {

constexpr uint32_t kPoly = 0x82F63B78u;  // Reflected Castagnoli polynomial.

constexpr std::array<uint32_t, 256> MakeTable() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr std::array<uint32_t, 256> kTable = MakeTable();

// Shifting a CRC register over zero bytes (Mark Adler's construction, as in his public
// crc32c.c): lets the hardware path run three independent crc32 chains over adjacent
// blocks and join them. The crc32 instruction has a 3-cycle latency and a 1-cycle
// throughput, so one chain uses a third of the unit; on ~250-byte records this takes
// the checksum from ~100 to ~50 cycles.
constexpr uint32_t Gf2Times(const std::array<uint32_t, 32>& mat, uint32_t vec) {
  uint32_t sum = 0;
  for (int i = 0; vec != 0; ++i, vec >>= 1) {
    if (vec & 1) sum ^= mat[i];
  }
  return sum;
}

constexpr std::array<uint32_t, 32> Gf2Square(const std::array<uint32_t, 32>& mat) {
  std::array<uint32_t, 32> sq{};
  for (int i = 0; i < 32; ++i) sq[i] = Gf2Times(mat, mat[i]);
  return sq;
}

// The operator that advances a CRC register over `len` zero bytes; `len` a power of two.
constexpr std::array<uint32_t, 32> ZerosOp(size_t len) {
  std::array<uint32_t, 32> odd{};  // One zero bit.
  odd[0] = kPoly;
  for (int i = 1; i < 32; ++i) odd[i] = 1u << (i - 1);
  std::array<uint32_t, 32> even = Gf2Square(odd);  // Two zero bits.
  odd = Gf2Square(even);                           // Four zero bits.
  for (;;) {
    even = Gf2Square(odd);  // One zero byte first, then 4, 16, ...
    len >>= 1;
    if (len == 0) return even;
    odd = Gf2Square(even);
    len >>= 1;
    if (len == 0) return odd;
  }
}

using ShiftTable = std::array<std::array<uint32_t, 256>, 4>;

constexpr ShiftTable MakeShiftTable(size_t len) {
  const std::array<uint32_t, 32> op = ZerosOp(len);
  ShiftTable t{};
  for (uint32_t i = 0; i < 256; ++i) {
    for (int b = 0; b < 4; ++b) t[b][i] = Gf2Times(op, i << (8 * b));
  }
  return t;
}

constexpr size_t kBlock = 64;  // Bytes per chain and round; a power of two.
constexpr ShiftTable kShiftBlock = MakeShiftTable(kBlock);

inline uint32_t ShiftBlock(uint32_t crc) {
  return kShiftBlock[0][crc & 0xff] ^ kShiftBlock[1][(crc >> 8) & 0xff] ^
         kShiftBlock[2][(crc >> 16) & 0xff] ^ kShiftBlock[3][crc >> 24];
}

uint32_t Portable(uint32_t crc, const unsigned char* p, size_t n) {
  for (size_t i = 0; i < n; ++i) crc = kTable[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return crc;
}

__attribute__((target("sse4.2"))) uint32_t Hardware(uint32_t crc, const unsigned char* p,
                                                    size_t n) {
  uint64_t c = crc;
  while (n >= 3 * kBlock) {
    uint64_t c1 = 0, c2 = 0;
    for (size_t i = 0; i < kBlock; i += 8) {
      uint64_t v0, v1, v2;
      std::memcpy(&v0, p + i, 8);
      std::memcpy(&v1, p + kBlock + i, 8);
      std::memcpy(&v2, p + 2 * kBlock + i, 8);
      c = _mm_crc32_u64(c, v0);
      c1 = _mm_crc32_u64(c1, v1);
      c2 = _mm_crc32_u64(c2, v2);
    }
    // Register after block 0, shifted over blocks 1 and 2, joined with theirs.
    c = ShiftBlock(static_cast<uint32_t>(c)) ^ static_cast<uint32_t>(c1);
    c = ShiftBlock(static_cast<uint32_t>(c)) ^ static_cast<uint32_t>(c2);
    p += 3 * kBlock;
    n -= 3 * kBlock;
  }
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    c = _mm_crc32_u64(c, v);
    p += 8;
    n -= 8;
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  while (n > 0) {
    c32 = _mm_crc32_u8(c32, *p++);
    --n;
  }
  return c32;
}

bool HaveSse42() {
  static const bool have = __builtin_cpu_supports("sse4.2");
  return have;
}

}  // namespace

uint32_t Crc32c(uint32_t crc, const void* data, size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  crc = ~crc;
  crc = HaveSse42() ? Hardware(crc, p, n) : Portable(crc, p, n);
  return ~crc;
}

}  // namespace paddock::logagg
