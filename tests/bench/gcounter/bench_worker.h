// One worker process of the gcounter benchmark: hosts a share of the nodes (a Replica and
// a loopback UDP socket each) in one epoll loop and obeys the coordinator over a pipe.
//
// Protocol (text lines). Coordinator -> worker: "PEER <ip:port>" (repeated), "GO",
// "BURST <trial> <increments per node> <expected total>", "STATS", "QUIT".
// Worker -> coordinator: "PORT <port>" per node at start, "DONE <trial> <ns> <rounds>"
// when all its nodes report the expected total (ns: CLOCK_MONOTONIC; rounds: most rounds
// any of its nodes ticked since the burst), "STATS <bytes out> <packets out> <rounds>
// <rejected> <anti-entropy>" (sums over its nodes).
#pragma once

#include <cstdint>

namespace paddock::gcounter::bench {

struct WorkerOptions {
  int nodes = 64;
  int64_t interval_ns = 10'000'000;
  uint32_t fanout = 3;
  uint64_t seed = 1;
  int worker_index = 0;
};

// Runs a worker on `in_fd` (commands) and `out_fd` (answers) until QUIT or EOF. Returns the
// process exit code.
int RunWorker(const WorkerOptions& options, int in_fd, int out_fd);

}  // namespace paddock::gcounter::bench
