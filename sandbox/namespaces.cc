#include "sandbox/namespaces.h"

#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"

namespace paddock::sandbox {

uint64_t CloneFlags(const Policy& policy) {
  if (!policy.enabled) return 0;
  uint64_t flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS;
  if (policy.new_network) flags |= CLONE_NEWNET;
  return flags;
}

std::vector<std::string> NamespaceNames(const Policy& policy) {
  if (!policy.enabled) return {};
  std::vector<std::string> names{"mnt", "pid", "ipc", "uts"};
  if (policy.new_network) names.push_back("net");
  names.push_back("cgroup");
  return names;
}

absl::Status CheckHostname(const std::string& hostname) {
  bool ok = !hostname.empty() && hostname.size() <= 64;
  for (char c : hostname) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '-');
  }
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("namespaces: bad hostname \"", hostname, "\""));
}

ChildResult SetHostnameInChild(const std::string& hostname) {
  if (::sethostname(hostname.data(), hostname.size()) < 0) {
    return ChildResult::Fail("sethostname", errno);
  }
  return ChildResult::Ok();
}

ChildResult BringUpLoopbackInChild() {
  int sock = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return ChildResult::Fail("socket for loopback", errno);
  struct ifreq ifr {};
  std::memcpy(ifr.ifr_name, "lo", 3);
  ChildResult result = ChildResult::Ok();
  if (::ioctl(sock, SIOCGIFFLAGS, &ifr) < 0) {
    result = ChildResult::Fail("SIOCGIFFLAGS lo", errno);
  } else {
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
    if (::ioctl(sock, SIOCSIFFLAGS, &ifr) < 0) result = ChildResult::Fail("SIOCSIFFLAGS lo", errno);
  }
  ::close(sock);
  return result;
}

ChildResult EnterCgroupNamespaceInChild() {
  if (::unshare(CLONE_NEWCGROUP) < 0) return ChildResult::Fail("unshare cgroup namespace", errno);
  return ChildResult::Ok();
}

}  // namespace paddock::sandbox
