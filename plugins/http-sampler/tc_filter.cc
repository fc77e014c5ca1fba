#include "tc_filter.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>

#include <cstdio>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "paddock/errno_status.h"

namespace paddock::http_sampler {
namespace {

bpf_tc_hook Hook(int ifindex, bool ingress) {
  bpf_tc_hook hook{};
  hook.sz = sizeof(hook);
  hook.ifindex = ifindex;
  hook.attach_point = ingress ? BPF_TC_INGRESS : BPF_TC_EGRESS;
  return hook;
}

std::string Where(int ifindex, bool ingress) {
  return absl::StrCat("ifindex ", ifindex, ingress ? " ingress" : " egress");
}

}  // namespace

std::string TcFilter::ToString() const {
  return absl::StrCat(ifindex, "/", ingress ? "ingress" : "egress", "/", priority, "/", handle, "/",
                      prog_id);
}

absl::StatusOr<TcFilter> TcFilter::Parse(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, '/');
  TcFilter f;
  if (parts.size() != 5 || (parts[1] != "ingress" && parts[1] != "egress") ||
      !absl::SimpleAtoi(parts[0], &f.ifindex) || !absl::SimpleAtoi(parts[2], &f.priority) ||
      !absl::SimpleAtoi(parts[3], &f.handle) || !absl::SimpleAtoi(parts[4], &f.prog_id) ||
      f.ifindex <= 0 || f.priority == 0 || f.priority > 0xFFFF || f.handle == 0 || f.prog_id == 0) {
    return absl::InvalidArgumentError(absl::StrCat("tc: bad filter record \"", text, "\""));
  }
  f.ingress = parts[1] == "ingress";
  return f;
}

absl::StatusOr<int> InterfaceIndex(const std::string& name) {
  if (name.empty() || name.size() >= IF_NAMESIZE) {
    return absl::InvalidArgumentError(absl::StrCat("tc: bad interface name \"", name, "\""));
  }
  // if_nameindex() asks the kernel over netlink (RTM_GETLINK), which the sandbox allows;
  // if_nametoindex() would need an ioctl that it does not.
  struct if_nameindex* all = if_nameindex();
  if (all == nullptr) return ErrnoStatus(errno, "tc: list interfaces");
  int found = 0;
  for (struct if_nameindex* i = all; i->if_index != 0 && i->if_name != nullptr; ++i) {
    if (name == i->if_name) found = static_cast<int>(i->if_index);
  }
  if_freenameindex(all);
  if (found == 0) {
    return absl::NotFoundError(absl::StrCat("tc: no interface \"", name, "\""));
  }
  return found;
}

absl::StatusOr<InterfaceInfo> LookupInterface(const std::string& name) {
  absl::StatusOr<int> index = InterfaceIndex(name);
  if (!index.ok()) return index.status();
  // getifaddrs() reads the links over netlink too (RTM_GETLINK) and lists every link, with
  // its flags, whether or not it has an address.
  struct ifaddrs* all = nullptr;
  if (getifaddrs(&all) < 0) return ErrnoStatus(errno, "tc: list interface flags");
  InterfaceInfo info;
  info.index = *index;
  for (struct ifaddrs* i = all; i != nullptr; i = i->ifa_next) {
    if (i->ifa_name != nullptr && name == i->ifa_name && (i->ifa_flags & IFF_LOOPBACK) != 0) {
      info.loopback = true;
    }
  }
  freeifaddrs(all);
  return info;
}

absl::StatusOr<TcFilter> AttachFilter(int ifindex, bool ingress, int prog_fd) {
  bpf_tc_hook hook = Hook(ifindex, ingress);
  // Creates the clsact qdisc (both hooks); EEXIST means it is there already.
  int err = bpf_tc_hook_create(&hook);
  if (err != 0 && err != -EEXIST) {
    return ErrnoStatus(-err, absl::StrCat("tc: clsact qdisc on ", Where(ifindex, ingress)));
  }
  bpf_tc_opts opts{};
  opts.sz = sizeof(opts);
  opts.prog_fd = prog_fd;
  // priority 0 and handle 0: the kernel picks both and libbpf reads them back.
  err = bpf_tc_attach(&hook, &opts);
  if (err != 0) {
    return ErrnoStatus(-err, absl::StrCat("tc: attach filter on ", Where(ifindex, ingress)));
  }
  TcFilter f;
  f.ifindex = ifindex;
  f.ingress = ingress;
  f.priority = opts.priority;
  f.handle = opts.handle;
  f.prog_id = opts.prog_id;
  return f;
}

bool FilterPresent(const TcFilter& filter) {
  bpf_tc_hook hook = Hook(filter.ifindex, filter.ingress);
  bpf_tc_opts opts{};
  opts.sz = sizeof(opts);
  opts.priority = filter.priority;
  opts.handle = filter.handle;
  if (bpf_tc_query(&hook, &opts) != 0) return false;
  return opts.prog_id == filter.prog_id;
}

absl::Status DetachFilter(const TcFilter& filter) {
  if (!FilterPresent(filter)) return absl::OkStatus();
  bpf_tc_hook hook = Hook(filter.ifindex, filter.ingress);
  bpf_tc_opts opts{};
  opts.sz = sizeof(opts);
  opts.priority = filter.priority;
  opts.handle = filter.handle;
  int err = bpf_tc_detach(&hook, &opts);
  if (err != 0 && err != -ENOENT) {
    return ErrnoStatus(-err, absl::StrCat("tc: detach filter ", filter.ToString()));
  }
  return absl::OkStatus();
}

}  // namespace paddock::http_sampler
