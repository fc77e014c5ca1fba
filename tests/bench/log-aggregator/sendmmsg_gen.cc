// logagg-sendmmsg-gen: offers sequence-numbered RFC 3164 lines of a fixed size over loopback
// UDP with sendmmsg, at a given rate (paced per batch) or as fast as one core can.
//
//   logagg-sendmmsg-gen --port 5514 [--rate 100000 | --rate 0] --seconds 3 [--size 200]
//                       [--batch 64] [--seq 0] [--count N]
//
// Prints one line: "sent=<n> seconds=<s> rate=<n/s> first_seq=<n> cpu_ns=<utime+stime>".
// Line i is "<13>Mar 15 11:00:00 loadgen bench[4242]: seq=<10 digits> xxx..." padded with
// 'x' to exactly --size bytes.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

int64_t Now() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1'000'000'000ll + ts.tv_nsec;
}

void SleepUntil(int64_t t) {
  timespec ts{static_cast<time_t>(t / 1'000'000'000), static_cast<long>(t % 1'000'000'000)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) != 0) {
  }
}

void PutSeq(char* p, uint64_t v) {
  for (int i = 9; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
}

int Usage() {
  std::fprintf(stderr,
               "usage: logagg-sendmmsg-gen --port P [--rate R|0] [--seconds S] [--count N] "
               "[--size B] [--batch K] [--seq FIRST]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  double rate = 0, seconds = 3;
  size_t size = 200, batch = 64;
  uint64_t seq = 0, count = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    const char* v = argv[i + 1];
    if (k == "--port")
      port = std::atoi(v);
    else if (k == "--rate")
      rate = std::atof(v);
    else if (k == "--seconds")
      seconds = std::atof(v);
    else if (k == "--count")
      count = std::strtoull(v, nullptr, 10);
    else if (k == "--size")
      size = std::strtoul(v, nullptr, 10);
    else if (k == "--batch")
      batch = std::strtoul(v, nullptr, 10);
    else if (k == "--seq")
      seq = std::strtoull(v, nullptr, 10);
    else
      return Usage();
  }
  if (port <= 0 || port > 65535 || size < 64 || size > 65000 || batch < 1 || batch > 1024) {
    return Usage();
  }
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    std::perror("socket/connect");
    return 1;
  }
  int sndbuf = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));

  const std::string head = "<13>Mar 15 11:00:00 loadgen bench[4242]: seq=";
  std::vector<std::string> bufs(batch);
  std::vector<iovec> iov(batch);
  std::vector<mmsghdr> msgs(batch);
  for (size_t i = 0; i < batch; ++i) {
    bufs[i] = head + "0000000000 ";
    bufs[i].resize(size, 'x');
    iov[i] = iovec{bufs[i].data(), size};
    msgs[i].msg_hdr = msghdr{};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  const size_t seq_off = head.size();
  const uint64_t first = seq;
  const int64_t start = Now();
  const int64_t end = start + static_cast<int64_t>(seconds * 1e9);
  uint64_t sent = 0;
  for (;;) {
    int64_t now = Now();
    if (count != 0 ? sent >= count : now >= end) break;
    size_t n = batch;
    if (count != 0 && count - sent < n) n = count - sent;
    if (rate > 0) {
      int64_t due = start + static_cast<int64_t>(static_cast<double>(sent) * 1e9 / rate);
      if (due > now) SleepUntil(due);
    }
    for (size_t i = 0; i < n; ++i) PutSeq(bufs[i].data() + seq_off, seq + i);
    size_t done = 0;
    while (done < n) {
      int k = sendmmsg(fd, msgs.data() + done, static_cast<unsigned>(n - done), 0);
      if (k < 0) {
        if (errno == EINTR || errno == ENOBUFS || errno == EAGAIN) continue;
        std::perror("sendmmsg");
        return 1;
      }
      done += static_cast<size_t>(k);
    }
    seq += n;
    sent += n;
  }
  double took = static_cast<double>(Now() - start) / 1e9;
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  long long cpu = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1'000'000'000ll +
                  (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ll;
  std::printf("sent=%llu seconds=%.3f rate=%.0f first_seq=%llu cpu_ns=%lld\n",
              static_cast<unsigned long long>(sent), took, static_cast<double>(sent) / took,
              static_cast<unsigned long long>(first), cpu);
  return 0;
}
