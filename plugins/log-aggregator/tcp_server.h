// The TCP side of the receiver: accepts on the host's listening socket, reads RFC 6587
// frames from each connection into the ring, and keeps the number of connections bounded.
//
// Descriptor budget: the sandbox gives the plugin RLIMIT_NOFILE = 1024, shared with gRPC
// (tens of descriptors), segment readers (one per query or tail) and the data dir. So at
// most max_tcp_connections (<= 900) connections are kept; a connection beyond that closes
// the idlest one (least recent byte; a connection that never sent anything counts from its
// accept), and one idle for tcp_idle_timeout is closed. A flood of idle connections thus
// costs the plugin nothing but the accept/close work, and a sender that keeps sending keeps
// its connection. A stalled partial frame holds at most max_message_bytes + 11 bytes.
//
// Not thread-safe: the receiver thread owns it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "paddock/fd.h"
#include "record_builder.h"
#include "ring.h"
#include "stats.h"
#include "tcp_framer.h"

namespace paddock::logagg {

class TcpServer {
 public:
  // Called when the ring is full; returns false to give up for now.
  using WaitForRoom = std::function<bool()>;

  // `listen_fd` is the host's listening socket. Its open file is shared with the other
  // generation during a reload; it is set O_NONBLOCK, which every generation wants alike.
  // `epoll_fd` is the receiver's epoll instance (not owned); the listening socket and every
  // connection are registered there with their fd as data.
  TcpServer(UniqueFd listen_fd, int epoll_fd, Ring& ring, Stats& stats, uint32_t max_message_bytes);
  ~TcpServer();

  int listen_fd() const { return listen_.get(); }

  // Accepts pending connections (up to 64), shedding the idlest beyond `max_conns`.
  void Accept(uint32_t max_conns, int64_t now_ns);
  // Reads and frames what connection `fd` has. `wait_for_room` is called when the ring is
  // full (returns false to give up for now: the data stays in the kernel, which pushes back
  // on the sender). Returns false if `fd` is not a connection.
  bool Read(int fd, RecordBuilder& builder, int64_t now_ns, const WaitForRoom& wait_for_room);
  // Closes connections idle since before `now_ns - idle_ns`, and the idlest ones beyond
  // `max_conns`. Re-arms the listening socket if Accept had to pause it.
  void Sweep(uint32_t max_conns, int64_t idle_ns, int64_t now_ns);
  // Stops accepting (the listening socket leaves the epoll set; the next generation takes
  // new connections).
  void StopAccepting();
  // Reads what every connection has already delivered, then closes them all.
  void CloseAll(RecordBuilder& builder, const WaitForRoom& wait_for_room);

  size_t connections() const { return conns_.size(); }

 private:
  struct Conn {
    explicit Conn(UniqueFd f, size_t max) : fd(std::move(f)), framer(max) {}
    UniqueFd fd;
    TcpFramer framer;
    std::string pending;  // Unconsumed bytes (a partial frame).
    int64_t last_active_ns = 0;
  };
  enum class Outcome { kOpen, kClosed };

  void Close(int fd);
  bool ShedIdlest();
  // Frames `data` for `c`; returns bytes consumed, sets *error on a framing error, *full
  // when the ring refused a frame.
  size_t Frame(Conn& c, const char* data, size_t n, RecordBuilder& b, bool* error, bool* full);
  // Commits one frame as the next unpublished record and publishes it; false if no room.
  bool CommitOne(const TcpFramer::Frame& f, RecordBuilder& b);
  // Commits everything pending + readable on `c`. kClosed when it was closed.
  Outcome Drain(Conn& c, RecordBuilder& b, const WaitForRoom& wait_for_room, bool final);
  void UpdateGauge();

  UniqueFd listen_;
  int epoll_fd_;
  const uint32_t max_message_bytes_;
  Ring& ring_;
  Stats& stats_;
  bool accepting_ = true;
  bool listen_paused_ = false;
  std::unordered_map<int, std::unique_ptr<Conn>> conns_;
  std::unique_ptr<char[]> scratch_;
};

}  // namespace paddock::logagg
