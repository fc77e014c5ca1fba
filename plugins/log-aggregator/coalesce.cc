#include "coalesce.h"

#include <algorithm>

namespace paddock::logagg {

uint32_t NextCoalesceUs(uint32_t last_us, uint32_t got, uint32_t batch, uint32_t floor_us,
                        uint32_t cap_us) {
  if (floor_us >= cap_us) return floor_us;
  if (got == 0) return cap_us;
  uint64_t last = last_us == 0 ? floor_us : last_us;
  uint64_t want = last * batch / got;  // < 2^32 * 2^32: no overflow in 64 bits.
  return static_cast<uint32_t>(std::clamp<uint64_t>(want, floor_us, cap_us));
}

}  // namespace paddock::logagg
