#include "node.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "paddock/errno_status.h"
#include "paddock/log.h"
#include "udp_io.h"

namespace paddock::gcounter {
namespace {

constexpr char kLockFile[] = "lock";
constexpr char kFastMarker[] = "fast.dirty";
constexpr uint64_t kCheckpointLogBytes = 4 << 20;
constexpr absl::Duration kReadyWait = absl::Seconds(10);
constexpr absl::Duration kCommitWait = absl::Seconds(30);
// Gossip tick of a node that has no peer at all.
constexpr int64_t kAloneTickNs = 1'000'000'000;

Kind ToKind(v1::CounterKind k) {
  return k == v1::PN_COUNTER ? Kind::kPositiveNegative : Kind::kGrowOnly;
}
v1::CounterKind FromKind(Kind k) {
  return k == Kind::kPositiveNegative ? v1::PN_COUNTER : v1::G_COUNTER;
}

int64_t ClampToInt64(__int128 v) {
  if (v > std::numeric_limits<int64_t>::max()) return std::numeric_limits<int64_t>::max();
  if (v < std::numeric_limits<int64_t>::min()) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(v);
}

bool FileExists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

std::vector<PeerAddr> MergePeers(const std::vector<PeerAddr>& a, const DnsPeers* dns) {
  std::vector<PeerAddr> out = a;
  if (dns != nullptr) out.insert(out.end(), dns->peers().begin(), dns->peers().end());
  return out;  // Replica::SetPeers removes duplicates.
}

bool SameDns(const std::optional<DnsPeers::Options>& a, const DnsPeers* b) {
  if (!a.has_value() || b == nullptr) return !a.has_value() && b == nullptr;
  const DnsPeers::Options& o = b->options();
  return a->name == o.name && a->port == o.port && a->resolver == o.resolver &&
         a->interval_ns == o.interval_ns;
}

}  // namespace

Node::Node(std::string data_dir, UniqueFd socket, Settings settings, MetricsRegistry* metrics)
    : dir_(std::move(data_dir)),
      socket_(std::move(socket)),
      wake_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      metrics_(metrics),
      settings_(std::move(settings)) {}

Node::~Node() { Stop(); }

int64_t Node::Now() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

absl::Status Node::Start() {
  if (started_) return absl::OkStatus();
  if (!wake_) return ErrnoStatus(errno, "eventfd");
  started_ = true;
  commit_thread_ = std::thread(&Node::CommitThread, this);
  return absl::OkStatus();
}

void Node::Stop() {
  {
    absl::MutexLock l(&mu_);
    stopping_ = true;
    commit_cv_.Signal();
    done_cv_.SignalAll();
  }
  if (commit_thread_.joinable()) commit_thread_.join();
}

absl::Status Node::Recover() {
  std::string lock_path = dir_ + "/" + kLockFile;
  lock_fd_ = UniqueFd(open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock_fd_) return ErrnoStatus(errno, "open " + lock_path);
  bool told = false;
  while (flock(lock_fd_.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) return ErrnoStatus(errno, "flock " + lock_path);
    if (!told) {
      log::Info("waiting for the previous generation to release the data dir");
      told = true;
    }
    absl::MutexLock l(&mu_);
    if (stopping_) return absl::CancelledError("stopped while waiting for the data dir lock");
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Milliseconds(20));
  }
  absl::StatusOr<Identity> identity = LoadOrCreateIdentity(dir_);
  if (!identity.ok()) return identity.status();
  Recovered recovered;
  absl::StatusOr<std::unique_ptr<Wal>> wal = Wal::Open(dir_, &recovered);
  if (!wal.ok()) return wal.status();
  wal_ = std::move(*wal);
  std::string reason = identity->created ? identity->reason : "";
  if (!identity->created && FileExists(dir_ + "/" + kFastMarker)) {
    reason = "the last run in fast mode did not stop cleanly";
  } else if (!identity->created && recovered.damaged) {
    reason = recovered.damage;
  }
  if (!identity->created && !reason.empty()) {
    // Some acknowledged own changes may be missing from disk: reusing the id could hide
    // new increments behind copies peers already hold. A new incarnation cannot.
    absl::StatusOr<ReplicaId> id = NewReplicaId();
    if (!id.ok()) return id.status();
    identity->id = *id;
    identity->boot = 0;
    identity->created = true;
    if (absl::Status s = SaveIdentity(dir_, *identity); !s.ok()) return s;
  }
  Settings settings;
  {
    absl::MutexLock l(&mu_);
    settings = settings_;
  }
  absl::StatusOr<std::unique_ptr<Replica>> replica =
      Replica::Create(settings.engine, identity->id, identity->boot, settings.keys,
                      identity->id ^ static_cast<uint64_t>(Now()));
  if (!replica.ok()) return replica.status();
  uint64_t own_version = 0;
  size_t own_entries = 0;
  for (const WalEntry& e : recovered.entries) {
    (*replica)->Restore(e.origin, e.name, e.value);
    if (e.origin == identity->id) {
      own_version = std::max(own_version, e.value.version);
      ++own_entries;
    }
  }
  (*replica)->FinishRestore(own_version);
  if (settings.fast) {
    if (absl::Status s = WriteFileDurably(dir_, kFastMarker, ""); !s.ok()) return s;
    fast_marker_ = true;
  } else if (FileExists(dir_ + "/" + kFastMarker)) {
    unlink((dir_ + "/" + kFastMarker).c_str());
    if (absl::Status s = SyncDir(dir_); !s.ok()) return s;
  }
  log::Info("recovered", {{"replica_id", ReplicaIdToHex(identity->id)},
                          {"boot", std::to_string(identity->boot)},
                          {"new_incarnation", identity->created ? reason : "no"},
                          {"records", std::to_string(recovered.records)},
                          {"own_version", std::to_string(own_version)},
                          {"torn_tail_cut", recovered.cut_tail ? "yes" : "no"}});
  (void)own_entries;
  absl::MutexLock l(&mu_);
  identity_ = *identity;
  replica_ = std::move(*replica);
  if (settings_.dns) dns_ = std::make_unique<DnsPeers>(*settings_.dns, identity->id);
  replica_->SetPeers(MergePeers(settings_.peers, dns_.get()));
  // Settings may have changed while we waited for the lock.
  (void)replica_->SetOptions(settings_.engine);
  (void)replica_->SetKeys(settings_.keys);
  settings_changed_ = true;
  return absl::OkStatus();
}

void Node::CommitThread() {
  absl::Status st = Recover();
  if (!st.ok()) {
    log::Error("gcounter could not recover its data dir", {{"error", std::string(st.message())}});
    absl::MutexLock l(&mu_);
    failed_ = absl::UnavailableError(absl::StrCat("recovery failed: ", st.message()));
    done_cv_.SignalAll();
    return;
  }
  last_sync_ns_ = last_checkpoint_ns_ = Now();
  gossip_thread_ = std::thread(&Node::GossipThread, this);
  {
    absl::MutexLock l(&mu_);
    ready_ = true;
    done_cv_.SignalAll();
  }
  for (;;) {
    bool stop = false, conflict = false, have_pending = false, fast = false, changed = false;
    int64_t fast_sync_ns = 0;
    {
      absl::MutexLock l(&mu_);
      auto wake = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !pending_.empty() || stopping_ || replica_->conflict() || settings_changed_;
      };
      if (!wake()) commit_cv_.WaitWithTimeout(&mu_, absl::Milliseconds(unsynced_ ? 10 : 100));
      stop = stopping_;
      conflict = replica_->conflict();
      have_pending = !pending_.empty();
      fast = settings_.fast;
      fast_sync_ns = settings_.fast_sync_interval_ns;
      changed = std::exchange(settings_changed_, false);
    }
    if (changed && fast && !fast_marker_) {
      if (WriteFileDurably(dir_, kFastMarker, "").ok()) fast_marker_ = true;
    }
    if (conflict) Reincarnate();
    if (have_pending) CommitBatch();
    if (unsynced_ && (!fast || Now() - last_sync_ns_ >= fast_sync_ns)) {
      if (absl::Status s = wal_->Sync(); !s.ok()) {
        log::Error("log fsync failed", {{"error", std::string(s.message())}});
      }
      unsynced_ = false;
      last_sync_ns_ = Now();
    }
    if (changed && !fast && fast_marker_ && !unsynced_) {
      unlink((dir_ + "/" + kFastMarker).c_str());
      if (SyncDir(dir_).ok()) fast_marker_ = false;
    }
    MaybeCheckpoint(false);
    if (stop) break;
  }
  // Stop: no new increments are accepted; finish the ones already taken.
  uint64_t one = 1;
  (void)!write(wake_.get(), &one, sizeof(one));
  if (gossip_thread_.joinable()) gossip_thread_.join();
  CommitBatch();
  if (wal_->Sync().ok()) unsynced_ = false;
  MaybeCheckpoint(true);
  if (fast_marker_ && !unsynced_) {
    unlink((dir_ + "/" + kFastMarker).c_str());
    (void)SyncDir(dir_);
  }
  lock_fd_.Reset();  // Releases the flock: the next generation may start.
}

void Node::CommitBatch() {
  std::map<std::string, Pending> batch;
  std::vector<WireEntry> changes;
  std::vector<WalEntry> records;
  uint64_t batch_id = 0;
  bool fast = false;
  {
    absl::MutexLock l(&mu_);
    if (pending_.empty()) return;
    batch.swap(pending_);
    batch_id = next_batch_++;
    fast = settings_.fast;
    ReplicaId self = replica_->self();
    uint64_t v = replica_->own_version();
    for (const auto& [name, p] : batch) {
      const EntryValue* cur = replica_->store().Find(self, name);
      EntryValue e = cur != nullptr ? *cur : EntryValue{};
      e.p += p.p;
      e.n += p.n;
      e.kind = std::max(e.kind, p.kind);
      e.version = ++v;
      changes.push_back(WireEntry{name, e});
      records.push_back(WalEntry{self, name, e});
    }
  }
  absl::Status st = wal_->Append(records);
  if (st.ok() && !fast) {
    st = wal_->Sync();
    last_sync_ns_ = Now();
  } else if (st.ok()) {
    unsynced_ = true;
  }
  absl::MutexLock l(&mu_);
  if (st.ok()) st = replica_->PublishOwn(changes, Now());
  if (!st.ok()) {
    log::Error("commit failed; increments are refused from now on",
               {{"error", std::string(st.message())}});
    failed_ = absl::UnavailableError(absl::StrCat("data dir: ", st.message()));
  } else {
    ++commits_;
  }
  committed_batch_ = batch_id;
  done_cv_.SignalAll();
}

void Node::Reincarnate() {
  absl::StatusOr<ReplicaId> id = NewReplicaId();
  if (!id.ok()) return;
  Identity fresh;
  fresh.id = *id;
  fresh.created = true;
  fresh.reason = "a peer holds a newer copy of our own entries";
  if (absl::Status s = SaveIdentity(dir_, fresh); !s.ok()) {
    log::Error("could not persist a new incarnation", {{"error", std::string(s.message())}});
    absl::MutexLock l(&mu_);
    failed_ = absl::UnavailableError(absl::StrCat("data dir: ", s.message()));
    done_cv_.SignalAll();
    return;
  }
  absl::MutexLock l(&mu_);
  log::Warn(
      "a peer holds a newer copy of this node's entries (stale or cloned data dir): "
      "continuing as a new incarnation",
      {{"old_id", ReplicaIdToHex(replica_->self())}, {"new_id", ReplicaIdToHex(*id)}});
  replica_->Reincarnate(*id, 0);
  identity_ = fresh;
}

void Node::MaybeCheckpoint(bool force) {
  int64_t interval;
  {
    absl::MutexLock l(&mu_);
    interval = settings_.checkpoint_interval_ns;
  }
  int64_t now = Now();
  if (!force && wal_->log_bytes() < kCheckpointLogBytes && now - last_checkpoint_ns_ < interval) {
    return;
  }
  last_checkpoint_ns_ = now;
  std::vector<WalEntry> all;
  {
    absl::MutexLock l(&mu_);
    replica_->store().ForEachEntry(
        [&](ReplicaId origin, const std::string& name, const EntryValue& v) {
          all.push_back(WalEntry{origin, name, v});
        });
  }
  // The snapshot must not claim less than the log holds: sync first in fast mode.
  if (unsynced_) {
    if (!wal_->Sync().ok()) return;
    unsynced_ = false;
  }
  if (absl::Status s = wal_->Checkpoint(all); !s.ok()) {
    log::Error("checkpoint failed", {{"error", std::string(s.message())}});
    return;
  }
  absl::MutexLock l(&mu_);
  ++checkpoints_;
}

void Node::GossipThread() {
  const int fd = socket_.get();
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    log::Error("gossip socket unusable",
               {{"error", std::string(ErrnoStatus(errno, "fcntl").message())}});
    return;
  }
  absl::StatusOr<int> family = SocketFamily(fd);
  if (!family.ok()) {
    log::Error("gossip socket unusable", {{"error", std::string(family.status().message())}});
    return;
  }
  std::unique_ptr<UdpReceiver> receiver;
  size_t receiver_bytes = 0;
  int64_t next_tick = Now(), next_metrics = Now();
  bool was_alone = false;
  std::vector<Datagram> out;
  for (;;) {
    int64_t interval;
    size_t max_bytes;
    bool alone;
    {
      absl::MutexLock l(&mu_);
      interval = settings_.interval_ns;
      max_bytes = replica_->options().max_packet_bytes;
      alone = !dns_ && replica_->PeerCount() == 0;
    }
    // Nobody to gossip with (no configured, learned or DNS peers): tick once a second for
    // the sweeps instead of 100 times; the first datagram from a peer wakes the loop, and
    // the next pass gossips at once. Peers added by config wait at most this long.
    if (alone) interval = std::max(interval, kAloneTickNs);
    if (was_alone && !alone) next_tick = Now();
    was_alone = alone;
    if (max_bytes != receiver_bytes) {
      receiver = std::make_unique<UdpReceiver>(max_bytes);
      receiver_bytes = max_bytes;
    }
    int64_t wait = std::max<int64_t>(0, next_tick - Now());
    timespec ts{static_cast<time_t>(wait / 1'000'000'000), static_cast<long>(wait % 1'000'000'000)};
    pollfd fds[2] = {{fd, POLLIN, 0}, {wake_.get(), POLLIN, 0}};
    int rc = ppoll(fds, 2, &ts, nullptr);
    if (rc < 0 && errno != EINTR) {
      log::Error("ppoll failed", {{"error", std::string(ErrnoStatus(errno, "ppoll").message())}});
      return;
    }
    if (rc > 0 && (fds[1].revents & POLLIN)) return;
    if (rc > 0 && (fds[0].revents & POLLIN)) {
      for (int batch = 0; batch < 16; ++batch) {
        int64_t now = Now();
        absl::StatusOr<size_t> got;
        {
          absl::MutexLock l(&mu_);
          got = receiver->Receive(
              fd, [&](const UdpReceiver::Datagram& d) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
                if (dns_ && dns_->Handle(d.from, d.bytes, now)) {
                  if (dns_->TakeUpdate()) {
                    replica_->SetPeers(MergePeers(settings_.peers, dns_.get()));
                    log::Info("peers from DNS", {{"count", std::to_string(dns_->peers().size())}});
                  }
                  return;
                }
                if (d.oversized) {
                  replica_->CountOversized(d.length);
                } else {
                  replica_->Receive(d.from, d.bytes, now, &out);
                }
              });
          if (replica_->conflict()) commit_cv_.Signal();
        }
        SendDatagrams(fd, *family, out);
        out.clear();
        if (!got.ok() || *got == 0) break;
      }
    }
    int64_t now = Now();
    if (now >= next_tick) {
      {
        absl::MutexLock l(&mu_);
        replica_->Tick(now, &out);
        if (dns_) dns_->Poll(now, &out);
      }
      SendDatagrams(fd, *family, out);
      out.clear();
      next_tick += interval;
      if (next_tick <= now) next_tick = now + interval;  // After a stall: skip, don't burst.
    }
    if (now >= next_metrics) {
      next_metrics = now + 1'000'000'000;
      absl::MutexLock l(&mu_);
      UpdateMetrics();
    }
  }
}

void Node::UpdateMetrics() {
  if (metrics_ == nullptr || !replica_) return;
  const EngineStats& s = replica_->stats();
  // The host exports these as paddock_plugin_<name>{plugin="gcounter"}. Counters follow
  // the engine's own (monotonic within an instance), so they only ever move forward.
  auto count = [&](const char* name, const char* help, uint64_t v,
                   const MetricsRegistry::Labels& labels = {}) {
    paddock::Counter& c = metrics_->GetCounter(name, help, labels);
    uint64_t cur = c.value();
    if (v > cur) c.Increment(v - cur);
  };
  auto set = [&](const char* name, const char* help, double v) {
    metrics_->GetGauge(name, help).Set(v);
  };
  count("gossip_rounds_total", "Gossip rounds run.", s.rounds);
  count("gossip_packets_total", "Gossip packets by direction.", s.packets_in,
        {{"direction", "in"}});
  count("gossip_packets_total", "Gossip packets by direction.", s.packets_out,
        {{"direction", "out"}});
  count("gossip_bytes_total", "Gossip bytes by direction.", s.bytes_in, {{"direction", "in"}});
  count("gossip_bytes_total", "Gossip bytes by direction.", s.bytes_out, {{"direction", "out"}});
  const char* kRejected = "Gossip packets dropped unmerged, by reason.";
  count("gossip_rejected_total", kRejected, s.rejected_auth, {{"reason", "auth"}});
  count("gossip_rejected_total", kRejected, s.rejected_malformed, {{"reason", "malformed"}});
  count("gossip_rejected_total", kRejected, s.rejected_replay, {{"reason", "replay"}});
  count("gossip_rejected_total", kRejected, s.rejected_oversized, {{"reason", "oversized"}});
  count("gossip_rejected_total", kRejected, s.rejected_limits, {{"reason", "limits"}});
  set("gossip_peers_heard_recently", "Peers heard from within the recency window.",
      static_cast<double>(replica_->PeersHeardRecently(Now())));
  set("counters", "Counters known.", static_cast<double>(replica_->store().counters()));
  set("last_convergence_seconds", "Last convergence estimate (-1: none yet).",
      s.last_convergence_ns < 0 ? -1 : s.last_convergence_ns / 1e9);
}

bool Node::Ready() const {
  absl::MutexLock l(&mu_);
  return ready_;
}

absl::Status Node::WaitReady() {
  auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return ready_ || !failed_.ok() || stopping_;
  };
  mu_.AwaitWithTimeout(absl::Condition(&done), kReadyWait);
  if (!failed_.ok()) return failed_;
  if (stopping_) return absl::UnavailableError("gcounter is stopping");
  if (!ready_) {
    return absl::UnavailableError(
        "gcounter is not ready: waiting for the previous generation to release the data dir");
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::IncrementReply> Node::Increment(const std::string& name, int64_t delta,
                                                   v1::CounterKind kind) {
  if (!ValidCounterName(name)) {
    return absl::InvalidArgumentError(
        "counter name must be 1-128 printable ASCII characters (0x21-0x7e)");
  }
  if (delta == 0) return absl::InvalidArgumentError("delta must not be 0");
  if (delta == std::numeric_limits<int64_t>::min() ||
      static_cast<uint64_t>(delta < 0 ? -delta : delta) > kMaxPart) {
    return absl::OutOfRangeError("|delta| must be below 2^62");
  }
  if (kind != v1::COUNTER_KIND_UNSPECIFIED && kind != v1::G_COUNTER && kind != v1::PN_COUNTER) {
    return absl::InvalidArgumentError("unknown counter kind");
  }
  absl::MutexLock l(&mu_);
  if (absl::Status s = WaitReady(); !s.ok()) return s;
  const Store& store = replica_->store();
  std::optional<Kind> existing;
  if (auto v = store.Get(name, 0)) existing = v->kind;
  auto pit = pending_.find(name);
  if (pit != pending_.end())
    existing = std::max(existing.value_or(pit->second.kind), pit->second.kind);
  Kind k;
  if (existing) {
    k = *existing;
    if (kind != v1::COUNTER_KIND_UNSPECIFIED && ToKind(kind) != k) {
      return absl::FailedPreconditionError(absl::StrCat(
          "counter \"", name, "\" is a ", k == Kind::kGrowOnly ? "G-Counter" : "PN-Counter"));
    }
  } else {
    k = kind != v1::COUNTER_KIND_UNSPECIFIED ? ToKind(kind)
        : delta > 0                          ? Kind::kGrowOnly
                                             : Kind::kPositiveNegative;
    size_t new_pending = 0;
    for (const auto& [n, p] : pending_) new_pending += store.Get(n, 0) ? 0 : 1;
    if (store.counters() + new_pending >= replica_->options().max_counters) {
      return absl::ResourceExhaustedError("max_counters reached");
    }
  }
  if (k == Kind::kGrowOnly && delta < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("counter \"", name, "\" is a G-Counter: it cannot be decremented"));
  }
  const EntryValue* own = store.Find(replica_->self(), name);
  Pending& p = pending_[name];
  uint64_t amount = static_cast<uint64_t>(delta < 0 ? -delta : delta);
  uint64_t base = (delta > 0 ? (own ? own->p : 0) + p.p : (own ? own->n : 0) + p.n);
  if (base > kMaxPart - amount) {
    if (p.p == 0 && p.n == 0) pending_.erase(name);
    return absl::OutOfRangeError("this node's part of the counter would pass 2^62");
  }
  (delta > 0 ? p.p : p.n) += amount;
  p.kind = std::max(p.kind, k);
  const uint64_t batch = next_batch_;
  const bool durable = !settings_.fast;
  commit_cv_.Signal();
  absl::Time deadline = absl::Now() + kCommitWait;
  while (committed_batch_ < batch && failed_.ok()) {
    if (done_cv_.WaitWithDeadline(&mu_, deadline)) {
      return absl::DeadlineExceededError("commit took too long; the increment is in doubt");
    }
  }
  if (committed_batch_ < batch) return failed_;  // In doubt.
  ++increments_;
  v1::IncrementReply reply;
  auto v = replica_->store().Get(name, 0);
  reply.set_value(v ? ClampToInt64(v->value) : 0);
  reply.set_kind(FromKind(v ? v->kind : k));
  reply.set_durable(durable);
  return reply;
}

v1::CounterInfo Node::Info(const CounterView& v) const {
  v1::CounterInfo info;
  info.set_name(v.name);
  info.set_kind(FromKind(v.kind));
  info.set_value(ClampToInt64(v.value));
  info.set_replicas(v.replicas);
  info.set_replicas_heard_recently(v.replicas_recent);
  return info;
}

absl::StatusOr<v1::GetReply> Node::Get(const std::string& name) {
  if (!ValidCounterName(name)) return absl::InvalidArgumentError("invalid counter name");
  absl::MutexLock l(&mu_);
  if (absl::Status s = WaitReady(); !s.ok()) return s;
  int64_t now = Now();
  auto v = replica_->store().Get(name, now - replica_->options().recent_window_ns);
  if (!v) return absl::NotFoundError(absl::StrCat("no counter \"", name, "\""));
  v1::GetReply reply;
  *reply.mutable_counter() = Info(*v);
  reply.set_peers_heard_recently(static_cast<uint32_t>(replica_->PeersHeardRecently(now)));
  return reply;
}

absl::StatusOr<v1::ListReply> Node::List(const std::string& start, uint32_t limit) {
  if (limit == 0) limit = 100;
  if (limit > 10000) return absl::InvalidArgumentError("limit must be at most 10000");
  absl::MutexLock l(&mu_);
  if (absl::Status s = WaitReady(); !s.ok()) return s;
  auto views =
      replica_->store().List(start, limit + 1, Now() - replica_->options().recent_window_ns);
  v1::ListReply reply;
  for (size_t i = 0; i < views.size() && i < limit; ++i) *reply.add_counters() = Info(views[i]);
  if (views.size() > limit) reply.set_next(views[limit].name);
  return reply;
}

absl::StatusOr<v1::StatsReply> Node::Stats() {
  absl::MutexLock l(&mu_);
  if (absl::Status s = WaitReady(); !s.ok()) return s;
  const EngineStats& s = replica_->stats();
  int64_t now = Now();
  v1::StatsReply r;
  r.set_replica_id(ReplicaIdToHex(replica_->self()));
  r.set_boot(identity_.boot);
  r.set_durability(settings_.fast ? "fast" : "fsync");
  r.set_peers_configured(static_cast<uint32_t>(replica_->ConfiguredPeers()));
  r.set_peers_known(static_cast<uint32_t>(replica_->PeerCount()));
  r.set_peers_heard_recently(static_cast<uint32_t>(replica_->PeersHeardRecently(now)));
  r.set_rounds(s.rounds);
  r.set_packets_in(s.packets_in);
  r.set_packets_out(s.packets_out);
  r.set_bytes_in(s.bytes_in);
  r.set_bytes_out(s.bytes_out);
  r.set_rejected_auth(s.rejected_auth);
  r.set_rejected_malformed(s.rejected_malformed);
  r.set_rejected_replay(s.rejected_replay);
  r.set_rejected_oversized(s.rejected_oversized);
  r.set_rejected_limits(s.rejected_limits);
  r.set_reordered(s.reordered);
  r.set_anti_entropy(s.anti_entropy);
  r.set_last_convergence_ms(s.last_convergence_ns < 0 ? -1 : s.last_convergence_ns / 1e6);
  r.set_last_convergence_rounds(s.last_convergence_rounds);
  r.set_counters(replica_->store().counters());
  r.set_origins(replica_->store().origins());
  r.set_hot_items(static_cast<uint32_t>(replica_->HotItems()));
  r.set_increments(increments_);
  r.set_commits(commits_);
  r.set_fsyncs(wal_ ? wal_->syncs() : 0);
  r.set_wal_bytes(wal_ ? wal_->log_bytes() : 0);
  r.set_checkpoints(checkpoints_);
  r.set_incarnation_conflicts(s.incarnation_conflicts);
  r.set_self_packets(s.self_packets);
  if (dns_) {
    r.set_dns_queries(dns_->queries());
    r.set_dns_answers(dns_->answers());
    r.set_dns_failures(dns_->failures());
    r.set_dns_last_error(dns_->last_error());
  }
  return r;
}

absl::Status Node::Reconfigure(Settings settings) {
  absl::MutexLock l(&mu_);
  if (replica_) {
    if (absl::Status s = replica_->SetOptions(settings.engine); !s.ok()) return s;
    if (absl::Status s = replica_->SetKeys(settings.keys); !s.ok()) return s;
    if (!SameDns(settings.dns, dns_.get())) {
      dns_ = settings.dns ? std::make_unique<DnsPeers>(*settings.dns, replica_->self()) : nullptr;
    }
    replica_->SetPeers(MergePeers(settings.peers, dns_.get()));
  }
  settings_ = std::move(settings);
  settings_changed_ = true;
  commit_cv_.Signal();
  return absl::OkStatus();
}

}  // namespace paddock::gcounter
