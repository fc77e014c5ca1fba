// How long the receiver waits after a short recvmmsg batch before reading again.
//
// Each wait is a sleep and a wake-up, and on a VM a wake-up is charged tens of
// microseconds of CPU (~90 us measured here): at low rates the wake-ups, not the lines,
// are what a line costs. So the wait follows the arrival rate: a batch that came back
// with `got` of `batch` datagrams after waiting `last_us` means the next wait should be
// about last_us * batch / got to fill one batch, kept within [floor_us, cap_us]. At or
// above the rate that fills a batch in floor_us the wait stays floor_us (as before); below
// it the receiver wakes ~1/cap_us times a second instead of 1/floor_us.
//
// Pure function, no state: the caller carries last_us from one batch to the next.
#pragma once

#include <cstdint>

namespace paddock::logagg {

// The next wait in microseconds. `last_us` 0 (no wait before this batch) counts as
// floor_us; `got` 0 returns cap_us; floor_us > cap_us returns floor_us.
uint32_t NextCoalesceUs(uint32_t last_us, uint32_t got, uint32_t batch, uint32_t floor_us,
                        uint32_t cap_us);

}  // namespace paddock::logagg
