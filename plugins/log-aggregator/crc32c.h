// CRC-32C (Castagnoli), the checksum of every stored record. Uses the SSE4.2 crc32
// instruction when the CPU has it (checked once at run time), a table otherwise.
#pragma once

#include <cstddef>
#include <cstdint>

namespace paddock::logagg {

// Extends `crc` (0 to start) over `n` bytes at `data`. Thread-safe.
uint32_t Crc32c(uint32_t crc, const void* data, size_t n);

}  // namespace paddock::logagg
