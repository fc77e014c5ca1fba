// gcounter-bench: convergence time of the gcounter replication engine at scale. Forks
// --procs worker processes hosting --nodes nodes in total (each a Replica with its own
// loopback UDP socket), wires every node to every other, then runs --trials bursts: every
// node makes --burst increments at once, and the time until every node reports the true
// total is measured (CLOCK_MONOTONIC, shared by all processes). Loss is not simulated here:
// scripts/bench-gcounter runs this inside a network namespace with nftables drop rules.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <poll.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "bench_worker.h"

namespace {

using paddock::gcounter::bench::RunWorker;
using paddock::gcounter::bench::WorkerOptions;

int64_t Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1'000'000'000ll + ts.tv_nsec;
}

struct Worker {
  pid_t pid = -1;
  int to = -1, from = -1;
  std::string buf;
};

void Say(Worker& w, const std::string& line) {
  std::string l = line + "\n";
  (void)!write(w.to, l.data(), l.size());
}

// Reads one line from a worker; empty on timeout or EOF.
std::string ReadLine(Worker& w, int timeout_ms) {
  int64_t deadline = Now() + int64_t{timeout_ms} * 1'000'000;
  for (;;) {
    size_t nl = w.buf.find('\n');
    if (nl != std::string::npos) {
      std::string line = w.buf.substr(0, nl);
      w.buf.erase(0, nl + 1);
      return line;
    }
    int64_t left = (deadline - Now()) / 1'000'000;
    if (left <= 0) return "";
    pollfd p{w.from, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    char tmp[4096];
    ssize_t n = read(w.from, tmp, sizeof(tmp));
    if (n <= 0) return "";
    w.buf.append(tmp, static_cast<size_t>(n));
  }
}

struct Stats {
  uint64_t bytes = 0, packets = 0, rounds = 0, rejected = 0, ae = 0;
  double cpu_s = 0;  // User + system time of every worker so far.
};

// CPU seconds (user + system) a process has used, from /proc/<pid>/stat.
double CpuSeconds(pid_t pid) {
  FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
  if (f == nullptr) return 0;
  char buf[1024];
  size_t n = std::fread(buf, 1, sizeof(buf) - 1, f);
  std::fclose(f);
  buf[n] = 0;
  const char* p = std::strrchr(buf, ')');
  if (p == nullptr) return 0;
  unsigned long long utime = 0, stime = 0;
  // Fields after the command: state(3) ... utime(14) stime(15).
  if (std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) !=
      2) {
    return 0;
  }
  return static_cast<double>(utime + stime) / sysconf(_SC_CLK_TCK);
}

Stats Collect(std::vector<Worker>& workers) {
  Stats s;
  for (Worker& w : workers) Say(w, "STATS");
  for (Worker& w : workers) {
    std::istringstream in(ReadLine(w, 5000));
    std::string tag;
    Stats one;
    in >> tag >> one.bytes >> one.packets >> one.rounds >> one.rejected >> one.ae;
    s.bytes += one.bytes;
    s.packets += one.packets;
    s.rounds += one.rounds;
    s.rejected += one.rejected;
    s.ae += one.ae;
    s.cpu_s += CpuSeconds(w.pid);
  }
  return s;
}

double Percentile(std::vector<double> v, double p) {  // Nearest rank.
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * v.size()));
  return v[std::max<size_t>(rank, 1) - 1];
}

void SleepMs(int ms) {
  timespec ts{ms / 1000, (ms % 1000) * 1'000'000L};
  nanosleep(&ts, nullptr);
}

int Usage() {
  std::fprintf(stderr,
               "usage: gcounter-bench [--nodes N] [--procs P] [--interval-ms MS] [--fanout F]\n"
               "                      [--trials T] [--burst B] [--settle-ms MS] [--sweep]\n"
               "                      [--label TEXT]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int nodes = 128, procs = 2, interval_ms = 10, trials = 30, burst = 10, settle_ms = 300;
  uint32_t fanout = 3;
  bool sweep = false;
  std::string label = "";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (a == "--sweep") {
      sweep = true;
      continue;
    }
    if ((v = next()) == nullptr) return Usage();
    if (a == "--nodes")
      nodes = std::atoi(v);
    else if (a == "--procs")
      procs = std::atoi(v);
    else if (a == "--interval-ms")
      interval_ms = std::atoi(v);
    else if (a == "--fanout")
      fanout = static_cast<uint32_t>(std::atoi(v));
    else if (a == "--trials")
      trials = std::atoi(v);
    else if (a == "--burst")
      burst = std::atoi(v);
    else if (a == "--settle-ms")
      settle_ms = std::atoi(v);
    else if (a == "--label")
      label = v;
    else
      return Usage();
  }
  if (nodes < 2 || procs < 1 || procs > nodes || interval_ms < 1 || trials < 1 || burst < 1 ||
      fanout < 1) {
    return Usage();
  }
  signal(SIGPIPE, SIG_IGN);
  std::vector<Worker> workers(procs);
  for (int p = 0; p < procs; ++p) {
    int down[2], up[2];
    if (pipe2(down, O_CLOEXEC) != 0 || pipe2(up, O_CLOEXEC) != 0) return 1;
    WorkerOptions wo;
    wo.nodes = nodes / procs + (p < nodes % procs ? 1 : 0);
    wo.interval_ns = int64_t{interval_ms} * 1'000'000;
    wo.fanout = fanout;
    wo.seed = 0x9e3779b97f4a7c15ull * (p + 1) ^ static_cast<uint64_t>(Now());
    wo.worker_index = p;
    pid_t pid = fork();
    if (pid == 0) {
      close(down[1]);
      close(up[0]);
      _exit(RunWorker(wo, down[0], up[1]));
    }
    close(down[0]);
    close(up[1]);
    workers[p] = Worker{pid, down[1], up[0], ""};
  }
  // Gather every node's port, then tell every worker about every node.
  std::vector<std::string> addrs;
  for (int p = 0; p < procs; ++p) {
    int want = nodes / procs + (p < nodes % procs ? 1 : 0);
    for (int k = 0; k < want; ++k) {
      std::istringstream in(ReadLine(workers[p], 10000));
      std::string tag, port;
      in >> tag >> port;
      if (tag != "PORT") {
        std::fprintf(stderr, "worker %d did not start\n", p);
        return 1;
      }
      addrs.push_back("127.0.0.1:" + port);
    }
  }
  for (Worker& w : workers) {
    std::string all;
    for (const std::string& a : addrs) all += "PEER " + a + "\n";
    all += "GO";
    Say(w, all);
  }

  const double log2n = std::log2(static_cast<double>(nodes));
  std::printf(
      "gcounter-bench %s: %d nodes in %d processes, interval %d ms, fanout %u, %d trials,"
      " %d increments per node per burst\n",
      label.c_str(), nodes, procs, interval_ms, fanout, trials, burst);
  // Idle traffic: digests only.
  SleepMs(1000);
  Stats idle0 = Collect(workers);
  int64_t idle_t0 = Now();
  SleepMs(2000);
  Stats idle1 = Collect(workers);
  double idle_secs = (Now() - idle_t0) / 1e9;
  double idle_bps = (idle1.bytes - idle0.bytes) / idle_secs / nodes;
  double idle_rounds = (idle1.rounds - idle0.rounds) / static_cast<double>(nodes) / idle_secs;
  double idle_cpu = (idle1.cpu_s - idle0.cpu_s) / idle_secs;

  int64_t expected = 0;
  double busy_ms_ = 0, longest_ms_ = 0;  // Of the busiest worker, in the last burst.
  auto run_burst = [&](int trial, int increments, double* ms, double* rounds_elapsed,
                       uint64_t* rounds_ticked) -> bool {
    expected += int64_t{nodes} * increments;
    int64_t t0 = Now();
    for (Worker& w : workers) {
      Say(w, "BURST " + std::to_string(trial) + " " + std::to_string(increments) + " " +
                 std::to_string(expected));
    }
    int64_t done = 0;
    uint64_t ticked = 0;
    busy_ms_ = longest_ms_ = 0;
    for (Worker& w : workers) {
      std::istringstream in(ReadLine(w, 10000));
      std::string tag;
      int64_t t = -1, when = 0, busy = 0, longest = 0;
      uint64_t r = 0;
      in >> tag >> t >> when >> r >> busy >> longest;
      if (tag != "DONE" || t != trial) return false;
      done = std::max(done, when);
      ticked = std::max(ticked, r);
      busy_ms_ = std::max(busy_ms_, busy / 1e6);
      longest_ms_ = std::max(longest_ms_, longest / 1e6);
    }
    *ms = (done - t0) / 1e6;
    *rounds_elapsed = *ms / interval_ms;
    *rounds_ticked = ticked;
    return true;
  };

  std::vector<double> ms_list, rounds_list, ticked_list, burst_bytes, burst_cpu;
  int failed = 0;
  Stats before = Collect(workers);
  int64_t trials_t0 = Now();
  for (int t = 0; t < trials; ++t) {
    Stats s0 = Collect(workers);
    int64_t w0 = Now();
    double ms = 0, rounds = 0;
    uint64_t ticked = 0;
    if (!run_burst(t, burst, &ms, &rounds, &ticked)) {
      std::printf("trial %2d: did not converge within 10 s\n", t);
      ++failed;
      break;
    }
    SleepMs(settle_ms);
    Stats s1 = Collect(workers);
    double window = (Now() - w0) / 1e9;
    double extra = (s1.bytes - s0.bytes) / static_cast<double>(nodes) - idle_bps * window;
    double cpu_ms = (s1.cpu_s - s0.cpu_s - idle_cpu * window) * 1000;
    burst_cpu.push_back(cpu_ms);
    ms_list.push_back(ms);
    rounds_list.push_back(rounds);
    ticked_list.push_back(static_cast<double>(ticked));
    burst_bytes.push_back(extra);
    std::printf(
        "trial %2d: converged in %7.2f ms = %5.2f rounds (most rounds ticked by one node:"
        " %llu); above idle: %.0f bytes per node, %.0f CPU ms in all; busiest worker loop"
        " busy %.0f ms, longest wakeup %.1f ms\n",
        t, ms, rounds, static_cast<unsigned long long>(ticked), extra, cpu_ms, busy_ms_,
        longest_ms_);
    std::fflush(stdout);
  }
  Stats after = Collect(workers);
  double trial_secs = (Now() - trials_t0) / 1e9;
  double avg_bps = (after.bytes - before.bytes) / trial_secs / nodes;

  std::printf("\nRESULT label=%s nodes=%d procs=%d interval_ms=%d fanout=%u trials=%zu failed=%d\n",
              label.c_str(), nodes, procs, interval_ms, fanout, ms_list.size(), failed);
  if (!ms_list.empty()) {
    double p50 = Percentile(ms_list, 50), p99 = Percentile(ms_list, 99);
    std::printf("RESULT convergence_ms p50=%.2f p99=%.2f max=%.2f\n", p50, p99,
                Percentile(ms_list, 100));
    std::printf("RESULT convergence_rounds p50=%.2f p99=%.2f (elapsed / interval)\n",
                Percentile(rounds_list, 50), Percentile(rounds_list, 99));
    std::printf("RESULT rounds_ticked p50=%.0f p99=%.0f (most rounds one node ticked)\n",
                Percentile(ticked_list, 50), Percentile(ticked_list, 99));
    std::printf("RESULT rounds_vs_log2n log2(%d)=%.2f ratio_p50=%.2f ratio_p99=%.2f\n", nodes,
                log2n, Percentile(rounds_list, 50) / log2n, Percentile(rounds_list, 99) / log2n);
  }
  std::printf("RESULT bytes_per_node_per_s idle=%.0f during_trials=%.0f\n", idle_bps, avg_bps);
  std::printf("RESULT rounds_per_node_per_s idle=%.1f (target %.1f)\n", idle_rounds,
              1000.0 / interval_ms);
  std::printf("RESULT cpu idle_cores=%.2f burst_cpu_ms_p50=%.0f (all workers, above idle)\n",
              idle_cpu, Percentile(burst_cpu, 50));
  if (!burst_bytes.empty()) {
    std::printf("RESULT burst_bytes_per_node_above_idle p50=%.0f\n", Percentile(burst_bytes, 50));
  }
  std::printf("RESULT rejected_packets=%llu anti_entropy_exchanges=%llu\n",
              static_cast<unsigned long long>(after.rejected),
              static_cast<unsigned long long>(after.ae));

  if (sweep && failed == 0) {
    // Bytes per burst as the number of increments grows: the delta buffer coalesces them.
    for (int inc : {1, 10, 100, 1000}) {
      std::vector<double> costs, per_round;
      for (int k = 0; k < 5; ++k) {
        Stats s0 = Collect(workers);
        int64_t w0 = Now();
        double ms = 0, rounds = 0;
        uint64_t ticked = 0;
        if (!run_burst(1000 + inc * 10 + k, inc, &ms, &rounds, &ticked)) break;
        SleepMs(settle_ms);
        Stats s1 = Collect(workers);
        double window = (Now() - w0) / 1e9;
        double extra = (s1.bytes - s0.bytes) / static_cast<double>(nodes) - idle_bps * window;
        costs.push_back(extra);
        per_round.push_back((s1.bytes - s0.bytes) /
                            static_cast<double>(std::max<uint64_t>(1, s1.rounds - s0.rounds)));
      }
      std::printf(
          "RESULT sweep increments_per_node=%d burst_bytes_per_node_above_idle=%.0f "
          "bytes_per_node_round=%.0f\n",
          inc, Percentile(costs, 50), Percentile(per_round, 50));
    }
  }
  for (Worker& w : workers) Say(w, "QUIT");
  for (Worker& w : workers) {
    close(w.to);
    waitpid(w.pid, nullptr, 0);
  }
  return failed == 0 ? 0 : 1;
}
