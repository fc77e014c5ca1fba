#include "plugins/http-sampler/packets.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>

#include <cstring>
#include <stdexcept>

namespace paddock::http_sampler::testing {
namespace {

void Put16(std::string* s, uint16_t v) {
  s->push_back(static_cast<char>(v >> 8));
  s->push_back(static_cast<char>(v & 0xFF));
}

void Put32(std::string* s, uint32_t v) {
  Put16(s, static_cast<uint16_t>(v >> 16));
  Put16(s, static_cast<uint16_t>(v & 0xFFFF));
}

bool IsV6(const std::string& addr) { return addr.find(':') != std::string::npos; }

std::string AddrBytes(const std::string& addr) {
  unsigned char buf[16] = {};
  int family = IsV6(addr) ? AF_INET6 : AF_INET;
  if (inet_pton(family, addr.c_str(), buf) != 1) throw std::invalid_argument(addr);
  return std::string(reinterpret_cast<char*>(buf), family == AF_INET6 ? 16 : 4);
}

// Ethernet + IP header for `l4` bytes of protocol `proto`, then `l4`.
std::string Frame(const Flow& f, uint8_t proto, const std::string& l4) {
  std::string p(12, '\0');  // Zero MACs, as on loopback.
  bool v6 = IsV6(f.src);
  Put16(&p, v6 ? 0x86DD : 0x0800);
  if (v6) {
    Put32(&p, 0x60000000);
    Put16(&p, static_cast<uint16_t>(l4.size()));
    p.push_back(static_cast<char>(proto));
    p.push_back(64);
  } else {
    p.push_back(0x45);
    p.push_back(0);
    Put16(&p, static_cast<uint16_t>(20 + l4.size()));
    Put16(&p, 1);       // id
    Put16(&p, 0x4000);  // DF
    p.push_back(64);
    p.push_back(static_cast<char>(proto));
    Put16(&p, 0);
  }
  p += AddrBytes(f.src);
  p += AddrBytes(f.dst);
  return p + l4;
}

}  // namespace

std::string TcpPacket(const Flow& f, const std::string& payload) {
  std::string tcp;
  Put16(&tcp, f.sport);
  Put16(&tcp, f.dport);
  Put32(&tcp, 1000);    // seq
  Put32(&tcp, 2000);    // ack
  tcp.push_back(0x50);  // doff 5
  tcp.push_back(0x18);  // PSH|ACK
  Put16(&tcp, 65535);
  Put16(&tcp, 0);
  Put16(&tcp, 0);
  return Frame(f, 6, tcp + payload);
}

std::string UdpPacket(const Flow& f, const std::string& payload) {
  std::string udp;
  Put16(&udp, f.sport);
  Put16(&udp, f.dport);
  Put16(&udp, static_cast<uint16_t>(8 + payload.size()));
  Put16(&udp, 0);
  return Frame(f, 17, udp + payload);
}

Flow Reversed(const Flow& f) { return Flow{f.dst, f.src, f.dport, f.sport}; }

double TestRunNs(int prog_fd, const std::string& pkt, int repeat) {
  bpf_test_run_opts opts{};
  opts.sz = sizeof(opts);
  opts.data_in = pkt.data();
  opts.data_size_in = static_cast<uint32_t>(pkt.size());
  opts.repeat = repeat;
  if (bpf_prog_test_run_opts(prog_fd, &opts) != 0) return -1;
  return opts.duration;
}

}  // namespace paddock::http_sampler::testing
