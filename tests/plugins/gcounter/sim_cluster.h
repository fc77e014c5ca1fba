// An in-memory cluster of gcounter Replicas on a simulated network with virtual time:
// latency, jitter (which reorders), loss, duplication and partitions. Used by the unit tests
// to check convergence properties without sockets.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <queue>
#include <random>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "replica.h"

namespace paddock::gcounter::testing {

class SimCluster {
 public:
  struct Net {
    double loss = 0;  // Probability a datagram is dropped.
    double dup = 0;   // Probability a datagram is delivered twice.
    int64_t latency_ns = 200'000;
    int64_t jitter_ns = 0;  // Uniform extra delay: reorders datagrams.
  };

  SimCluster(int n, EngineOptions options, uint64_t seed, int64_t interval_ns = 10'000'000)
      : interval_ns_(interval_ns), rng_(seed) {
    for (int i = 0; i < n; ++i) {
      PeerAddr a;
      a.family = AF_INET;
      a.ip = {10, 0, static_cast<uint8_t>(i / 250), static_cast<uint8_t>(i % 250 + 1)};
      a.port = 7946;
      addrs_.push_back(a);
      index_[a.Key()] = i;
    }
    for (int i = 0; i < n; ++i) {
      auto r = Replica::Create(options, 1000 + i, 0, {std::string(32, 'k')}, seed * 7919 + i);
      if (!r.ok()) std::abort();
      (*r)->SetPeers(addrs_);
      nodes_.push_back(std::move(*r));
      next_tick_.push_back(std::uniform_int_distribution<int64_t>(0, interval_ns - 1)(rng_));
    }
  }

  Net& net() { return net_; }
  Replica& node(int i) { return *nodes_[i]; }
  const PeerAddr& addr(int i) const { return addrs_[i]; }
  int size() const { return static_cast<int>(nodes_.size()); }
  int64_t now() const { return now_; }
  // Datagrams between a and b are dropped while this returns true.
  void SetBlocked(std::function<bool(int, int)> blocked) { blocked_ = std::move(blocked); }
  // Replaces node i by a fresh Replica (a restart or a lost data dir is the caller's story).
  void Replace(int i, std::unique_ptr<Replica> r) {
    r->SetPeers(addrs_);
    nodes_[i] = std::move(r);
  }

  // A local increment on node i (durable at once, as the bench does).
  void Increment(int i, const std::string& name, int64_t delta) {
    Replica& r = *nodes_[i];
    const EntryValue* cur = r.store().Find(r.self(), name);
    EntryValue v = cur ? *cur : EntryValue{};
    if (delta >= 0) {
      v.p += static_cast<uint64_t>(delta);
    } else {
      v.n += static_cast<uint64_t>(-delta);
      v.kind = Kind::kPositiveNegative;
    }
    v.version = r.own_version() + 1;
    if (!r.PublishOwn({WireEntry{name, v}}, now_).ok()) std::abort();
  }

  bool Converged(const std::string& name, __int128 expected) const {
    for (const auto& n : nodes_) {
      auto v = n->store().Get(name, 0);
      if (!v || v->value != expected) return false;
    }
    return true;
  }
  bool DigestsEqual() const {
    for (const auto& n : nodes_) {
      if (n->store().root() != nodes_[0]->store().root()) return false;
    }
    return true;
  }

  // Runs until pred() or `max_ns` of virtual time; returns the virtual time it took, or -1.
  int64_t RunUntil(const std::function<bool()>& pred, int64_t max_ns) {
    int64_t start = now_;
    while (now_ - start <= max_ns) {
      if (pred()) return now_ - start;
      Step();
    }
    return pred() ? now_ - start : -1;
  }
  void RunFor(int64_t ns) {
    int64_t end = now_ + ns;
    while (now_ < end) Step();
  }

  uint64_t TotalBytesOut() const {
    uint64_t b = 0;
    for (const auto& n : nodes_) b += n->stats().bytes_out;
    return b;
  }

 private:
  struct InFlight {
    int64_t at;
    uint64_t order;
    int to;
    int from;
    std::string bytes;
    bool operator>(const InFlight& o) const { return at != o.at ? at > o.at : order > o.order; }
  };

  void Send(int from, std::vector<Datagram>& out) {
    std::uniform_real_distribution<double> u(0, 1);
    for (Datagram& d : out) {
      auto it = index_.find(d.to.Key());
      if (it == index_.end()) continue;
      int to = it->second;
      if (blocked_ && blocked_(from, to)) continue;
      int copies = u(rng_) < net_.dup ? 2 : 1;
      for (int c = 0; c < copies; ++c) {
        if (u(rng_) < net_.loss) continue;
        int64_t delay = net_.latency_ns;
        if (net_.jitter_ns > 0) {
          delay += std::uniform_int_distribution<int64_t>(0, net_.jitter_ns)(rng_);
        }
        queue_.push(InFlight{now_ + delay, order_++, to, from, d.bytes});
      }
    }
    out.clear();
  }

  void Step() {
    // Next event: a delivery or a tick, whichever is first.
    int64_t next = INT64_MAX;
    int tick_node = -1;
    for (int i = 0; i < size(); ++i) {
      if (next_tick_[i] < next) {
        next = next_tick_[i];
        tick_node = i;
      }
    }
    std::vector<Datagram> out;
    if (!queue_.empty() && queue_.top().at <= next) {
      InFlight m = queue_.top();
      queue_.pop();
      now_ = std::max(now_, m.at);
      nodes_[m.to]->Receive(addrs_[m.from], m.bytes, now_, &out);
      Send(m.to, out);
      return;
    }
    now_ = std::max(now_, next);
    nodes_[tick_node]->Tick(now_, &out);
    next_tick_[tick_node] += interval_ns_;
    Send(tick_node, out);
  }

  int64_t interval_ns_;
  std::mt19937_64 rng_;
  Net net_;
  std::vector<PeerAddr> addrs_;
  absl::flat_hash_map<uint64_t, int> index_;
  std::vector<std::unique_ptr<Replica>> nodes_;
  std::vector<int64_t> next_tick_;
  std::priority_queue<InFlight, std::vector<InFlight>, std::greater<>> queue_;
  std::function<bool(int, int)> blocked_;
  int64_t now_ = 0;
  uint64_t order_ = 0;
};

}  // namespace paddock::gcounter::testing
