// A steady stream of calls through the host's control socket (Control.Call on the echo
// plugin) from several threads, recording every failure and which plugin version
// answered, for hot-reload tests.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace paddock::testing {

class CallLoad {
 public:
  // Starts `threads` callers, each aiming at `rate_per_thread` calls per second.
  CallLoad(const std::string& socket, int threads, int rate_per_thread);
  ~CallLoad();  // Stop()s.

  void Stop();
  uint64_t ok() const { return ok_.load(); }
  uint64_t failed() const { return failed_.load(); }
  // Calls answered per version ("1.0.0" -> n).
  std::map<std::string, uint64_t> by_version() const;
  // The first few failure messages.
  std::vector<std::string> errors() const;
  // The most times one thread saw the answering version change. With N swaps it is at
  // most N unless routing flapped between generations.
  uint64_t max_switches() const { return max_switches_.load(); }
  // The version the last answered call came from.
  std::string last_version() const;

 private:
  void Run(int rate);

  std::string socket_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> ok_{0}, failed_{0}, max_switches_{0};
  mutable std::mutex mu_;
  std::map<std::string, uint64_t> by_version_;
  std::vector<std::string> errors_;
  std::string last_version_;
  std::vector<std::thread> threads_;
};

}  // namespace paddock::testing
