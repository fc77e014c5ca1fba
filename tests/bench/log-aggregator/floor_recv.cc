// logagg-floor-recv: the bare floor for scripts/bench-log-aggregator: a recvmmsg receiver
// that discards what it reads. Binds 127.0.0.1:PORT with the same 64 MiB receive buffer the
// plugin's manifest asks for, and reads batches of --batch datagrams.
//
//   logagg-floor-recv --port 5514 --count-file F [--batch 128] [--coalesce-us 0]
//
// --coalesce-us 0: blocking recvmmsg with MSG_WAITFORONE (the plain way). > 0: the plugin's
// strategy: non-blocking recvmmsg, poll() when empty, and after a short batch sleep that
// long before reading again. The count of datagrams read is kept in F, an 8-byte
// little-endian integer in a shared file mapping (a plain store after every batch: no
// syscall, so the count costs the floor nothing). SIGTERM/SIGINT end the program.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop = true; }

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  unsigned batch = 128, coalesce_us = 0;
  std::string count_file;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--port")
      port = std::atoi(argv[i + 1]);
    else if (k == "--batch")
      batch = static_cast<unsigned>(std::atoi(argv[i + 1]));
    else if (k == "--coalesce-us")
      coalesce_us = static_cast<unsigned>(std::atoi(argv[i + 1]));
    else if (k == "--count-file")
      count_file = argv[i + 1];
  }
  if (port <= 0 || count_file.empty() || batch < 1 || batch > 1024) {
    std::fprintf(stderr,
                 "usage: logagg-floor-recv --port P --count-file F [--batch K] "
                 "[--coalesce-us U]\n");
    return 2;
  }
  struct sigaction sa {};
  sa.sa_handler = OnSignal;  // No SA_RESTART: a blocking recvmmsg returns EINTR.
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  int out = open(count_file.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0 || ftruncate(out, sizeof(uint64_t)) != 0) {
    std::perror("count file");
    return 1;
  }
  void* map = mmap(nullptr, sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, out, 0);
  if (map == MAP_FAILED) {
    std::perror("mmap");
    return 1;
  }
  auto* shared = static_cast<std::atomic<uint64_t>*>(map);
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int rcvbuf = 256 << 20;  // As the plugin's manifest asks (and rsyslog's rcvbufSize).
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  }
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (out < 0 || fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    std::perror("open/socket/bind");
    return 1;
  }
  constexpr size_t kBuf = 2048;
  std::vector<char> bufs(static_cast<size_t>(batch) * kBuf);
  std::vector<iovec> iov(batch);
  std::vector<mmsghdr> msgs(batch);
  uint64_t total = 0;
  while (!g_stop) {
    for (unsigned i = 0; i < batch; ++i) {
      iov[i] = iovec{bufs.data() + static_cast<size_t>(i) * kBuf, kBuf};
      msgs[i].msg_hdr = msghdr{};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int k;
    if (coalesce_us == 0) {
      k = recvmmsg(fd, msgs.data(), batch, MSG_WAITFORONE, nullptr);
    } else {
      k = recvmmsg(fd, msgs.data(), batch, MSG_DONTWAIT, nullptr);
      if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        pollfd p{fd, POLLIN, 0};
        poll(&p, 1, 50);
        k = 0;
      } else if (k > 0 && static_cast<unsigned>(k) < batch) {
        timespec ts{0, static_cast<long>(coalesce_us) * 1000};
        nanosleep(&ts, nullptr);
      }
    }
    if (k > 0) {
      total += static_cast<uint64_t>(k);
      shared->store(total, std::memory_order_relaxed);
    }
  }
  return 0;
}
