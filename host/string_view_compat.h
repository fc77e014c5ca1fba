// Debian 12's abseil (20220623) is built with ABSL_OPTION_USE_STD_STRING_VIEW 0, so
// absl::string_view is its own type and does not convert from std::string_view. These two
// helpers cross the boundary without copying.
#pragma once

#include <string_view>

#include "absl/strings/string_view.h"

namespace paddock::host {

inline absl::string_view ToAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}
inline std::string_view ToStd(absl::string_view s) { return std::string_view(s.data(), s.size()); }

}  // namespace paddock::host
