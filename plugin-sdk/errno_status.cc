// errno -> absl::Status, the one place it happens (see paddock/errno_status.h).
#include "paddock/errno_status.h"

#include <string.h>

#include "absl/strings/str_cat.h"

namespace paddock {

absl::Status ErrnoStatus(int err, std::string_view context) {
  // strerrordesc_np/strerrorname_np (glibc >= 2.32) are thread-safe and locale-free,
  // unlike strerror().
  const char* desc = strerrordesc_np(err);
  const char* name = strerrorname_np(err);
  std::string message =
      absl::StrCat(absl::string_view(context.data(), context.size()), ": ",
                   desc != nullptr ? desc : "unknown error", " (",
                   name != nullptr ? std::string(name) : absl::StrCat("errno ", err), ")");
  absl::StatusCode code = absl::ErrnoToStatusCode(err);
  // A caller only asks for a status after a failure; never hand back OK for errno 0.
  if (code == absl::StatusCode::kOk) code = absl::StatusCode::kUnknown;
  return absl::Status(code, message);
}

}  // namespace paddock
