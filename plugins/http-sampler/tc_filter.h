// One cls_bpf filter (direct-action) on a TC clsact hook, through libbpf's netlink calls.
// Needs CAP_NET_ADMIN and an AF_NETLINK (NETLINK_ROUTE) socket.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace paddock::http_sampler {

// Identifies a filter on an interface: the hook, the kernel-chosen priority and handle,
// and the program it runs (ids are never reused, so they tell our filter from a stranger
// that later took the same priority and handle).
struct TcFilter {
  int ifindex = 0;
  bool ingress = true;
  uint32_t priority = 0;
  uint32_t handle = 0;
  uint32_t prog_id = 0;

  // "ifindex/ingress/prio/handle/prog" (for logs and the owner record).
  std::string ToString() const;
  // Parses ToString()'s form. InvalidArgument on anything else.
  static absl::StatusOr<TcFilter> Parse(const std::string& text);
};

// Returns the index of interface `name`. NotFound with the name if there is none.
absl::StatusOr<int> InterfaceIndex(const std::string& name);

// What the sampler needs to know of an interface to attach to it.
struct InterfaceInfo {
  int index = 0;
  // IFF_LOOPBACK (lo): every packet sent on it comes back in on it, so its ingress hook
  // alone sees both directions of every connection.
  bool loopback = false;
};

// Returns index and flags of interface `name` (netlink, as InterfaceIndex). NotFound with
// the name if there is none.
absl::StatusOr<InterfaceInfo> LookupInterface(const std::string& name);

// Adds a filter running `prog_fd` on the ingress or egress hook of `ifindex`, creating the
// clsact qdisc if the interface has none. The kernel picks a free priority (ahead of the
// filters already there) and handle, so two owners never collide. The filter must return
// TC_ACT_UNSPEC to let later filters run.
absl::StatusOr<TcFilter> AttachFilter(int ifindex, bool ingress, int prog_fd);

// Removes `filter` if it is still there and still runs the program `filter.prog_id`.
// Returns OK when it was removed or was already gone (or replaced by someone else's).
absl::Status DetachFilter(const TcFilter& filter);

// True if `filter` is present with the same program.
bool FilterPresent(const TcFilter& filter);

}  // namespace paddock::http_sampler
