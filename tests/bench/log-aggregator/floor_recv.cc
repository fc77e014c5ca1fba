// logagg-floor-recv: the bare floor for scripts/bench-log-aggregator: a recvmmsg receiver
// that discards what it reads. Binds 127.0.0.1:PORT with the same 256 MiB receive buffer the
// plugin's manifest asks for, and reads batches of --batch datagrams.
//
//   logagg-floor-recv --port 5514 --count-file F [--batch 128] [--coalesce-us 0]
//                     [--mode mmsg|mmsg2|uring]
//
// --mode mmsg (default): one 2 KiB iovec per datagram, no msg_name, no control buffer.
// mmsg2: as the plugin's UdpReader asks: two iovecs per datagram (a 512-byte slot and a
// 64 KiB overflow area), no msg_name, no control buffer. uring: io_uring, one multishot
// IORING_OP_RECVMSG on the socket with a provided buffer ring (2 KiB buffers), the ring set
// up with SINGLE_ISSUER | DEFER_TASKRUN (completions are only produced when this thread
// asks for them, so arrivals during the coalescing sleep wake nobody). One
// io_uring_enter(GETEVENTS) runs the receive for ~32 datagrams (the kernel's multishot
// retry limit, then it requeues itself), so it enters again while completions come; once
// the socket is empty it sleeps --coalesce-us if fewer than --batch came, like the others.
// Experiment knobs: FLOOR_URING_PLAIN=1 (no DEFER_TASKRUN: task work on every syscall
// return), FLOOR_URING_DRAIN=N (drain with min_complete N and a zero timeout).
// Measured (2026-11-27, A/B pairs at 400-600k/s, load 3-5): uring 474-508 ns per datagram
// against 318-361 for mmsg: no msghdr/iovec copies per datagram, but its 16 MiB of
// provided buffers are cold for the kernel's copy and skb frees take the slow path more
// (perf: _copy_to_iter 29.5% vs 23%, __slab_free 14.5% vs 3.8%).
//
// mmsgwrite: mmsg, and the same thread also persists every datagram the way a receiver
// that writes with no second thread would: each line parsed by the plugin's own parser and
// given the plugin's record header (EncodeRecord: spans, sequence, CRC32C), header and line
// appended to a 2 MiB 4 KiB-aligned buffer while the line is still in this CPU's cache,
// the full buffer written with O_DIRECT (pwrite, synchronous) to F.data, which wraps at
// 1 GiB. What it answers: the CPU a one-thread receive-and-write design of the plugin
// would cost, against the plugin's receiver + writer threads.
//
// --coalesce-us 0: blocking recvmmsg with MSG_WAITFORONE (the plain way). > 0: the plugin's
// strategy: non-blocking recvmmsg, poll() when empty, and after a short batch sleep that
// long before reading again. The count of datagrams read is kept in F, an 8-byte
// little-endian integer in a shared file mapping (a plain store after every batch: no
// syscall, so the count costs the floor nothing). SIGTERM/SIGINT end the program.
#include <arpa/inet.h>
#include <fcntl.h>
#include <liburing.h>
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
#include <memory>
#include <string>
#include <vector>

#include "record.h"
#include "syslog_parser.h"
#include "syslog_time.h"

namespace {

namespace logagg = paddock::logagg;

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop = true; }

void Sleep(unsigned us) {
  timespec ts{0, static_cast<long>(us) * 1000};
  nanosleep(&ts, nullptr);
}

// The io_uring receiver (see --mode uring). Returns the exit code.
int RunUring(int fd, unsigned batch, unsigned coalesce_us, std::atomic<uint64_t>* shared) {
  constexpr unsigned kBufs = 8192, kBufBytes = 2048;
  io_uring ring;
  io_uring_params p{};
  p.flags = IORING_SETUP_CQSIZE;
  if (getenv("FLOOR_URING_PLAIN") == nullptr) {
    p.flags |= IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  }
  p.cq_entries = 4 * kBufs;
  int r = io_uring_queue_init_params(8, &ring, &p);
  if (r < 0) {
    std::fprintf(stderr, "io_uring_queue_init: %s\n", std::strerror(-r));
    return 1;
  }
  std::vector<char> bufs(static_cast<size_t>(kBufs) * kBufBytes);
  void* brmem = mmap(nullptr, kBufs * sizeof(io_uring_buf), PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  auto* br = static_cast<io_uring_buf_ring*>(brmem);
  io_uring_buf_ring_init(br);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uint64_t>(br);
  reg.ring_entries = kBufs;
  reg.bgid = 0;
  if ((r = io_uring_register_buf_ring(&ring, &reg, 0)) < 0) {
    std::fprintf(stderr, "io_uring_register_buf_ring: %s\n", std::strerror(-r));
    return 1;
  }
  const int mask = io_uring_buf_ring_mask(kBufs);
  for (unsigned i = 0; i < kBufs; ++i) {
    io_uring_buf_ring_add(br, bufs.data() + static_cast<size_t>(i) * kBufBytes, kBufBytes,
                          static_cast<unsigned short>(i), mask, static_cast<int>(i));
  }
  io_uring_buf_ring_advance(br, kBufs);
  msghdr mh{};  // No name, no control: each buffer holds io_uring_recvmsg_out + payload.
  auto arm = [&] {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    io_uring_prep_recvmsg_multishot(sqe, fd, &mh, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = 0;
  };
  arm();
  uint64_t total = 0, enters = 0, rearms = 0;
  unsigned min_wait = 1, acc = 0;
  const unsigned drain_min =
      getenv("FLOOR_URING_DRAIN") ? static_cast<unsigned>(atoi(getenv("FLOOR_URING_DRAIN"))) : 0;
  while (!g_stop) {
    // Always enter with GETEVENTS (liburing skips the syscall when nothing is queued, but
    // with DEFER_TASKRUN the receive only runs inside this call).
    unsigned to_submit = io_uring_sq_ready(&ring);
    io_uring_smp_store_release(ring.sq.ktail, ring.sq.sqe_tail);
    ring.sq.sqe_head = ring.sq.sqe_tail;
    // Draining (min_wait 0): ask for up to `drain_min` completions with a zero timeout:
    // the kernel reruns the requeued multishot receive until that many or the socket is empty.
    int s;
    if (min_wait == 0 && drain_min > 0) {
      __kernel_timespec zero{0, 0};
      io_uring_getevents_arg arg{};
      arg.ts = reinterpret_cast<uint64_t>(&zero);
      s = io_uring_enter2(ring.ring_fd, to_submit, drain_min,
                          IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG,
                          reinterpret_cast<sigset_t*>(&arg), sizeof(arg));
    } else {
      s = io_uring_enter(ring.ring_fd, to_submit, min_wait, IORING_ENTER_GETEVENTS, nullptr);
    }
    ++enters;
    if (s < 0 && s != -EINTR && s != -EAGAIN && s != -EBUSY && s != -ETIME) {
      std::fprintf(stderr, "io_uring_enter: %s\n", std::strerror(-s));
      return 1;
    }
    unsigned head, n = 0, returned = 0;
    io_uring_cqe* cqe;
    bool rearm = false;
    io_uring_for_each_cqe(&ring, head, cqe) {
      ++n;
      if (cqe->flags & IORING_CQE_F_BUFFER) {
        unsigned id = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
        io_uring_buf_ring_add(br, bufs.data() + static_cast<size_t>(id) * kBufBytes, kBufBytes,
                              static_cast<unsigned short>(id), mask, static_cast<int>(returned));
        ++returned;
        if (cqe->res > 0) ++total;
      }
      if (!(cqe->flags & IORING_CQE_F_MORE)) rearm = true;
    }
    io_uring_cq_advance(&ring, n);
    io_uring_buf_ring_advance(br, static_cast<int>(returned));
    if (rearm) {
      ++rearms;
      arm();
    }
    if (returned > 0) shared->store(total, std::memory_order_relaxed);
    // One enter runs the multishot receive for a few dozen datagrams only (the kernel
    // requeues it), so keep entering while it yields; once the socket is empty, sleep if
    // this round was short, else wait for the next datagram.
    acc += returned;
    min_wait = 0;
    if (returned == 0) {
      if (acc == 0) {
        min_wait = 1;
      } else if (acc < batch) {
        Sleep(coalesce_us);
      }
      acc = 0;
    }
  }
  std::fprintf(stderr, "uring: %llu datagrams, %llu enters, %llu re-arms\n",
               static_cast<unsigned long long>(total), static_cast<unsigned long long>(enters),
               static_cast<unsigned long long>(rearms));
  return 0;
}

// The persisting half of --mode mmsgwrite.
class DirectSink {
 public:
  static constexpr size_t kBufBytes = 2 << 20, kWrap = size_t{1} << 30,
                          kHeader = logagg::kRecordHeaderBytes;

  static std::unique_ptr<DirectSink> Open(const std::string& path) {
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_DIRECT | O_CLOEXEC, 0644);
    void* buf = nullptr;
    if (fd < 0 || posix_memalign(&buf, 4096, kBufBytes) != 0) {
      std::perror("mmsgwrite: open O_DIRECT / buffer");
      if (fd >= 0) close(fd);
      return nullptr;
    }
    return std::unique_ptr<DirectSink>(new DirectSink(fd, static_cast<char*>(buf)));
  }
  ~DirectSink() {
    close(fd_);
    free(buf_);
  }

  // Sets the receive time of the lines appended next (once per batch, as the plugin).
  void BeginBatch(int64_t recv_ns) {
    clock_.recv_ns = recv_ns;
    clock_.recv_year = logagg::YearOf(recv_ns);
  }

  // Parses the line, appends its record (header + `len` bytes); writes the buffer out when
  // the next record might not fit. False on a write error (printed).
  bool Append(const char* line, uint32_t len) {
    if (used_ + kHeader + len > kBufBytes && !Flush()) return false;
    logagg::ParseSyslog(line, len, clock_, &parsed_);
    logagg::RecordHeader h;
    logagg::EncodeRecord(parsed_, line, len, seq_++, clock_.recv_ns, 0, &h);
    std::memcpy(buf_ + used_, &h, kHeader);
    std::memcpy(buf_ + used_ + kHeader, line, len);
    used_ += kHeader + len;
    return true;
  }

 private:
  DirectSink(int fd, char* buf) : fd_(fd), buf_(buf) {}
  bool Flush() {
    size_t n = (used_ + 4095) & ~size_t{4095};
    std::memset(buf_ + used_, 0, n - used_);
    if (pwrite(fd_, buf_, n, static_cast<off_t>(off_)) != static_cast<ssize_t>(n)) {
      std::perror("mmsgwrite: pwrite");
      return false;
    }
    off_ = off_ + n >= kWrap ? 0 : off_ + n;
    used_ = 0;
    return true;
  }

  int fd_;
  char* buf_;
  size_t used_ = 0, off_ = 0;
  uint64_t seq_ = 1;
  logagg::ParseClock clock_;
  logagg::ParsedLine parsed_;
};

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  unsigned batch = 128, coalesce_us = 0;
  std::string count_file, mode = "mmsg";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--port")
      port = std::atoi(argv[i + 1]);
    else if (k == "--batch")
      batch = static_cast<unsigned>(std::atoi(argv[i + 1]));
    else if (k == "--coalesce-us")
      coalesce_us = static_cast<unsigned>(std::atoi(argv[i + 1]));
    else if (k == "--mode")
      mode = argv[i + 1];
    else if (k == "--count-file")
      count_file = argv[i + 1];
  }
  if (port <= 0 || count_file.empty() || batch < 1 || batch > 1024 ||
      (mode != "mmsg" && mode != "mmsg2" && mode != "uring" && mode != "mmsgwrite")) {
    std::fprintf(stderr,
                 "usage: logagg-floor-recv --port P --count-file F [--batch K] "
                 "[--coalesce-us U] [--mode mmsg|mmsg2|uring|mmsgwrite]\n");
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
  if (mode == "uring") return RunUring(fd, batch, coalesce_us, shared);
  std::unique_ptr<DirectSink> sink;
  if (mode == "mmsgwrite") {
    sink = DirectSink::Open(count_file + ".data");
    if (!sink) return 1;
  }
  const bool two = mode == "mmsg2";
  const size_t kBuf = two ? 512 : 2048, kOver = 65536;
  std::vector<char> bufs(static_cast<size_t>(batch) * kBuf);
  std::vector<char> over(two ? static_cast<size_t>(batch) * kOver : 0);
  std::vector<iovec> iov(2 * batch);
  std::vector<mmsghdr> msgs(batch);
  uint64_t total = 0;
  while (!g_stop) {
    for (unsigned i = 0; i < batch; ++i) {
      iov[2 * i] = iovec{bufs.data() + static_cast<size_t>(i) * kBuf, kBuf};
      if (two) iov[2 * i + 1] = iovec{over.data() + static_cast<size_t>(i) * kOver, kOver};
      msgs[i].msg_hdr = msghdr{};
      msgs[i].msg_hdr.msg_iov = &iov[2 * i];
      msgs[i].msg_hdr.msg_iovlen = two ? 2 : 1;
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
        Sleep(coalesce_us);
      }
    }
    if (k > 0 && sink) {
      timespec now;
      clock_gettime(CLOCK_REALTIME, &now);
      sink->BeginBatch(static_cast<int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec);
      for (int i = 0; i < k; ++i) {
        if (!sink->Append(bufs.data() + static_cast<size_t>(i) * kBuf, msgs[i].msg_len)) return 1;
      }
    }
    if (k > 0) {
      total += static_cast<uint64_t>(k);
      shared->store(total, std::memory_order_relaxed);
    }
  }
  return 0;
}
