#include "types.h"

#include <cstdio>

namespace paddock::gcounter {

bool ValidCounterName(const std::string& name) {
  if (name.empty() || name.size() > kMaxNameBytes) return false;
  for (char c : name) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

std::string ReplicaIdToHex(ReplicaId id) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(id));
  return buf;
}

}  // namespace paddock::gcounter
