// Helpers shared by the log-aggregator unit tests.
#pragma once

#include <cstdint>
#include <string>

#include "paddock/fd.h"
#include "record.h"

namespace paddock::logagg::testing {

// A temp directory removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A bound UDP socket on 127.0.0.1:0 (blocking, like the host's).
UniqueFd BoundUdp();
// A listening TCP socket on 127.0.0.1:0 (blocking, like the host's).
UniqueFd ListeningTcp();
// The port a socket is bound to.
uint16_t PortOf(int fd);
// A UDP socket connected to 127.0.0.1:port.
UniqueFd UdpSender(uint16_t port);
// A TCP connection to 127.0.0.1:port (blocking).
UniqueFd TcpConnect(uint16_t port);
// Writes all of `data`; false on error.
bool WriteAll(int fd, const std::string& data);
// Unix time now in ns.
int64_t NowNs();
// The ns of a UTC civil time.
int64_t Utc(int y, int mo, int d, int h, int mi, int s, int64_t frac_ns = 0);
// header + line of a record for `line` received at `recv_ns` with sequence `seq`.
std::string MakeRecord(const std::string& line, uint64_t seq, int64_t recv_ns, uint8_t flags = 0);

}  // namespace paddock::logagg::testing
