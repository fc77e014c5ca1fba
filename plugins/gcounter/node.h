// One gcounter node inside the plugin: the Replica, its durable state in the data dir, and
// two threads.
//
// - The commit thread first takes an exclusive flock on <data dir>/lock (during a hot
//   reload the previous generation still holds it until it has drained and stopped, so
//   two generations never write the same incarnation), recovers the identity and the log,
//   then starts the gossip thread and serves group commits: every Increment waiting at that
//   moment goes into one log record and one fdatasync, then is published to the Replica and
//   acknowledged. It also writes checkpoints and, when a peer shows a newer copy of this
//   node's own entries, persists a new incarnation.
// - The gossip thread runs the rounds and receives datagrams on the pre-opened socket
//   (DNS answers from the configured resolver included).
//
// RPCs arriving before recovery finished wait for it (up to 10 s). Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "dns.h"
#include "gcounter.pb.h"
#include "identity.h"
#include "paddock/fd.h"
#include "paddock/metrics.h"
#include "replica.h"
#include "settings.h"
#include "wal.h"

namespace paddock::gcounter {

class Node {
 public:
  // `data_dir` must exist and be writable; `socket` is the bound UDP gossip socket.
  // `metrics` may be null. Nothing runs until Start().
  Node(std::string data_dir, UniqueFd socket, Settings settings, MetricsRegistry* metrics);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Starts the commit thread (which recovers, then starts gossip). Returns at once.
  absl::Status Start();
  // Stops gossip, commits what is pending, syncs, checkpoints, releases the lock. Idempotent.
  void Stop();
  // Puts new settings in force (peers, keys, interval, durability, engine options).
  absl::Status Reconfigure(Settings settings);

  // Adds `delta` to `name`. Returns after the change is durable (or applied, in fast mode).
  // InvalidArgument / FailedPrecondition / OutOfRange / ResourceExhausted for bad requests,
  // Unavailable when the node is not ready or the log failed.
  absl::StatusOr<v1::IncrementReply> Increment(const std::string& name, int64_t delta,
                                               v1::CounterKind kind);
  absl::StatusOr<v1::GetReply> Get(const std::string& name);
  absl::StatusOr<v1::ListReply> List(const std::string& start, uint32_t limit);
  absl::StatusOr<v1::StatsReply> Stats();
  // True once recovery finished (the data dir lock is held and the state is loaded).
  bool Ready() const;

 private:
  struct Pending {
    Kind kind = Kind::kGrowOnly;
    uint64_t p = 0, n = 0;
  };

  void CommitThread();
  void GossipThread();
  // Takes the data dir lock, loads identity and log, builds the Replica.
  absl::Status Recover();
  // One group commit of everything pending. Called without mu_.
  void CommitBatch();
  // Persists a new incarnation after a conflict. Called without mu_.
  void Reincarnate();
  void MaybeCheckpoint(bool force);
  // Waits until recovery finished; Unavailable if it failed or took too long.
  absl::Status WaitReady() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  v1::CounterInfo Info(const CounterView& v) const;
  void UpdateMetrics() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int64_t Now() const;

  const std::string dir_;
  UniqueFd socket_;
  UniqueFd wake_;  // eventfd: wakes the gossip thread to stop.
  MetricsRegistry* metrics_;
  UniqueFd lock_fd_;
  std::unique_ptr<Wal> wal_;  // Only the commit thread uses it after recovery.

  mutable absl::Mutex mu_;
  absl::CondVar commit_cv_;  // Wakes the commit thread.
  absl::CondVar done_cv_;    // Wakes waiting RPCs.
  Settings settings_ ABSL_GUARDED_BY(mu_);
  bool settings_changed_ ABSL_GUARDED_BY(mu_) = false;
  std::unique_ptr<Replica> replica_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<DnsPeers> dns_ ABSL_GUARDED_BY(mu_);
  Identity identity_ ABSL_GUARDED_BY(mu_);
  bool ready_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status failed_ ABSL_GUARDED_BY(mu_);  // Sticky: recovery or log failure.
  std::map<std::string, Pending> pending_ ABSL_GUARDED_BY(mu_);
  uint64_t next_batch_ ABSL_GUARDED_BY(mu_) = 1;  // Batch the pending increments join.
  uint64_t committed_batch_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t increments_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t commits_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t checkpoints_ ABSL_GUARDED_BY(mu_) = 0;
  bool fast_marker_ = false;        // Commit thread only.
  bool unsynced_ = false;           // Commit thread only: appended but not yet fsynced.
  int64_t last_sync_ns_ = 0;        // Commit thread only.
  int64_t last_checkpoint_ns_ = 0;  // Commit thread only.

  std::thread commit_thread_;
  std::thread gossip_thread_;
  bool started_ = false;
};

}  // namespace paddock::gcounter
