// Synthetic packets for BPF_PROG_TEST_RUN: Ethernet + IPv4/IPv6 + TCP/UDP + payload, as
// the http-sampler program sees them on a TC hook. Checksums are not filled (the program
// does not read them).
#pragma once

#include <cstdint>
#include <string>

namespace paddock::http_sampler::testing {

struct Flow {
  std::string src = "127.0.0.1";  // IPv4 or IPv6 literal; both ends the same family.
  std::string dst = "127.0.0.1";
  uint16_t sport = 40000;
  uint16_t dport = 8080;
};

// A TCP segment carrying `payload`.
std::string TcpPacket(const Flow& f, const std::string& payload);
// A UDP datagram carrying `payload`.
std::string UdpPacket(const Flow& f, const std::string& payload);
// The same flow seen from the other end (addresses and ports swapped).
Flow Reversed(const Flow& f);

// Runs `pkt` through the program `prog_fd` `repeat` times with BPF_PROG_TEST_RUN: the
// kernel's own mean ns per run (whole ns), or -1 on error (errno set).
double TestRunNs(int prog_fd, const std::string& pkt, int repeat);

}  // namespace paddock::http_sampler::testing
