#include "host/names.h"

#include <catch2/catch.hpp>
#include <string>

namespace paddock::host {
namespace {

TEST_CASE("plugin names", "[names]") {
  CHECK(IsValidPluginName("hello"));
  CHECK(IsValidPluginName("log-aggregator"));
  CHECK(IsValidPluginName("a" + std::string(62, '1')));
  CHECK_FALSE(IsValidPluginName("a" + std::string(63, '1')));
  CHECK_FALSE(IsValidPluginName(""));
  CHECK_FALSE(IsValidPluginName("Hello"));
  CHECK_FALSE(IsValidPluginName("1abc"));
  CHECK_FALSE(IsValidPluginName("a_b"));
  CHECK_FALSE(IsValidPluginName("a/b"));
  CHECK_FALSE(IsValidPluginName("-a"));
}

TEST_CASE("socket and syscall group names", "[names]") {
  CHECK(IsValidSocketName("udp"));
  CHECK(IsValidSocketName("gossip_v2-x"));
  CHECK_FALSE(IsValidSocketName("a" + std::string(32, 'b')));
  CHECK_FALSE(IsValidSocketName("_x"));
  CHECK_FALSE(IsValidSocketName(""));
  CHECK(IsValidSyscallGroupName("bpf"));
  CHECK(IsValidSyscallGroupName("0-net_raw"));
  CHECK_FALSE(IsValidSyscallGroupName(""));
  CHECK_FALSE(IsValidSyscallGroupName("BPF"));
  CHECK_FALSE(IsValidSyscallGroupName(std::string(65, 'a')));
}

TEST_CASE("capability names map to their numbers", "[names]") {
  CHECK(CapabilityNumber("CAP_CHOWN") == 0);
  CHECK(CapabilityNumber("CAP_NET_ADMIN") == 12);
  CHECK(CapabilityNumber("CAP_SYS_NICE") == 23);
  CHECK(CapabilityNumber("CAP_PERFMON") == 38);
  CHECK(CapabilityNumber("CAP_BPF") == 39);
  CHECK(CapabilityNumber("CAP_CHECKPOINT_RESTORE") == 40);
  CHECK_FALSE(CapabilityNumber("CAP_FOO").has_value());
  CHECK_FALSE(CapabilityNumber("cap_bpf").has_value());
  CHECK_FALSE(CapabilityNumber("").has_value());
}

}  // namespace
}  // namespace paddock::host
