#include "ring.h"

#include <sys/mman.h>

#include <utility>

#include "absl/strings/str_cat.h"

namespace paddock::logagg {

absl::StatusOr<Mapping> Mapping::Create(size_t bytes, bool huge_pages) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    return absl::ResourceExhaustedError(absl::StrCat("mmap ", bytes, " bytes failed"));
  }
  if (huge_pages) {
    (void)madvise(p, bytes, MADV_HUGEPAGE);
    for (size_t i = 0; i < bytes; i += 4096) static_cast<volatile char*>(p)[i] = 0;
  }
  Mapping m;
  m.data_ = static_cast<char*>(p);
  m.size_ = bytes;
  return m;
}

Mapping::Mapping(Mapping&& o) noexcept
    : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}

Mapping& Mapping::operator=(Mapping&& o) noexcept {
  if (this != &o) {
    if (data_ != nullptr) munmap(data_, size_);
    data_ = std::exchange(o.data_, nullptr);
    size_ = std::exchange(o.size_, 0);
  }
  return *this;
}

Mapping::~Mapping() {
  if (data_ != nullptr) munmap(data_, size_);
}

absl::StatusOr<std::unique_ptr<Ring>> Ring::Create(uint32_t slots, uint32_t slot_bytes,
                                                   uint32_t large_bytes) {
  if (slots < 2 || slot_bytes < 64 || slot_bytes > 65535 || large_bytes < (128u << 10)) {
    return absl::InvalidArgumentError(absl::StrCat("ring: bad geometry slots=", slots,
                                                   " slot_bytes=", slot_bytes,
                                                   " large_bytes=", large_bytes));
  }
  std::unique_ptr<Ring> r(new Ring());
  r->slots_ = slots;
  r->slot_bytes_ = slot_bytes;
  r->stride_ = (kHeader + slot_bytes + 63) / 64 * 64;
  auto sm = Mapping::Create(r->stride_ * slots, /*huge_pages=*/true);
  if (!sm.ok()) return sm.status();
  r->slots_map_ = std::move(*sm);
  auto lm = Mapping::Create(large_bytes);
  if (!lm.ok()) return lm.status();
  r->large_map_ = std::move(*lm);
  r->large_bytes_ = large_bytes;
  r->desc_ = std::make_unique<Desc[]>(slots);
  return r;
}

void Ring::SetSmall(uint32_t i, uint32_t size) {
  uint64_t index = head_local_ + i;
  desc_[index % slots_] = Desc{SlotBase(index), size, 0};
}

char* Ring::ReserveLarge(uint32_t i, uint32_t size) {
  if (size > large_bytes_) return nullptr;
  uint64_t start = large_head_;
  uint64_t pos = start % large_bytes_;
  if (pos + size > large_bytes_) start += large_bytes_ - pos;  // Skip the tail end; wrap.
  uint64_t end = start + size;
  if (end - large_tail_.load(std::memory_order_acquire) > large_bytes_) return nullptr;
  large_head_ = end;
  char* p = large_map_.data() + start % large_bytes_;
  uint64_t index = head_local_ + i;
  desc_[index % slots_] = Desc{p, size, end};
  return p;
}

void Ring::Publish(uint32_t n) {
  head_local_ += n;
  head_.store(head_local_, std::memory_order_release);
}

Ring::Record Ring::At(uint64_t i) const {
  const Desc& d = desc_[(tail_local_ + i) % slots_];
  return Record{d.data, d.size};
}

void Ring::Release(uint64_t n) {
  uint64_t large_end = 0;
  for (uint64_t i = 0; i < n; ++i) {
    const Desc& d = desc_[(tail_local_ + i) % slots_];
    if (d.large_end != 0) large_end = d.large_end;
  }
  tail_local_ += n;
  if (large_end != 0) large_tail_.store(large_end, std::memory_order_release);
  tail_.store(tail_local_, std::memory_order_release);
}

}  // namespace paddock::logagg
