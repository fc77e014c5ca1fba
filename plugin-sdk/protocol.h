// Protocol constants shared by the SDK, the manifest tool and paddockd.
// Include as "plugin-sdk/protocol.h".
#pragma once

#include <cstdint>

namespace paddock::sdk {

// Version of the host<->plugin protocol this SDK speaks (semantic versioning). Written into
// every manifest's sdk_protocol; a host accepts plugins whose major version it speaks.
inline constexpr char kSdkProtocolVersion[] = "1.0.0";

// Bootstrap.protocol this SDK understands.
inline constexpr uint32_t kBootstrapProtocol = 1;

// Descriptor number of the bootstrap socket in the plugin: one end of a SOCK_STREAM
// socketpair. The host writes one Bootstrap frame on it and reads one BootstrapReply frame;
// the plugin keeps it open for its whole life, so the host sees EOF when the plugin dies.
inline constexpr int kBootstrapFd = 3;

}  // namespace paddock::sdk
