#include "sandbox/uid.h"

#include <errno.h>
#include <sys/prctl.h>

#include "absl/strings/str_cat.h"
#include "sandbox/kernel.h"

namespace paddock::sandbox {

absl::Status CheckIdentity(uid_t uid, gid_t gid) {
  if (uid == 0 || gid == 0 || uid == static_cast<uid_t>(-1) || gid == static_cast<gid_t>(-1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("uid: plugins must run unprivileged, not as ", uid, ":", gid));
  }
  return absl::OkStatus();
}

ChildResult ChangeIdentityInChild(uid_t uid, gid_t gid) {
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) return ChildResult::Fail("PR_SET_KEEPCAPS", errno);
  if (kernel::SetGroups(0, nullptr) < 0) return ChildResult::Fail("setgroups", errno);
  if (kernel::SetResGid(gid, gid, gid) < 0) return ChildResult::Fail("setresgid", errno);
  if (kernel::SetResUid(uid, uid, uid) < 0) return ChildResult::Fail("setresuid", errno);
  if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) return ChildResult::Fail("PR_SET_KEEPCAPS", errno);
  return ChildResult::Ok();
}

}  // namespace paddock::sandbox
