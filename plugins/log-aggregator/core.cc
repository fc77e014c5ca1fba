#include "core.h"

#include <sys/random.h>

#include "paddock/log.h"
#include "record.h"

namespace paddock::logagg {

absl::StatusOr<std::unique_ptr<Core>> Core::Start(Options o) {
  std::unique_ptr<Core> c(new Core());
  c->instance_ = o.instance;
  while (c->instance_ == 0) {
    if (getrandom(&c->instance_, sizeof(c->instance_), 0) != sizeof(c->instance_)) {
      return absl::InternalError("getrandom failed");
    }
  }
  auto rec = Recover(o.data_dir, c->instance_);
  if (!rec.ok()) return rec.status();
  c->recovery_ = *rec;
  c->stats_.lost_on_crash.store(rec->ledger_lost);
  c->stats_.torn_bytes_truncated.store(rec->ledger_torn_bytes);
  auto st = InstanceState::Create(o.data_dir + "/instances", c->instance_);
  if (!st.ok()) return st.status();
  c->state_ = std::move(*st);
  c->settings_.Store(std::make_shared<const Settings>(o.settings));
  c->catalog_ = std::make_unique<SegmentCatalog>(o.data_dir + "/segments", c->instance_);
  absl::Status rs = c->catalog_->Refresh();
  if (!rs.ok()) return rs;
  auto ring =
      Ring::Create(o.settings.ring_slots, o.settings.slot_bytes, o.settings.large_ring_bytes);
  if (!ring.ok()) return ring.status();
  c->ring_ = std::move(*ring);
  c->writer_ = std::make_unique<SegmentWriter>(*c->ring_, *c->catalog_, c->stats_, c->instance_,
                                               c->settings_);
  auto in = Ingest::Create(std::move(o.udp), std::move(o.tcp), *c->ring_, *c->writer_, c->stats_,
                           &c->state_, c->settings_);
  if (!in.ok()) return in.status();
  c->ingest_ = std::move(*in);
  c->service_ = std::make_unique<LogAggregatorService>(*c->catalog_, c->stats_, c->instance_);
  c->service_->SetIngest(c->ring_.get(), c->ingest_->udp_address(), c->ingest_->tcp_address());
  Core* self = c.get();
  c->service_->SetStopping([self] { return self->draining_.load(std::memory_order_acquire); });
  c->writer_->Start();
  c->ingest_->Start();
  log::Info("log-aggregator started", {{"instance", InstanceHex(c->instance_)},
                                       {"udp", c->ingest_->udp_address()},
                                       {"tcp", c->ingest_->tcp_address()},
                                       {"recovered_instances", std::to_string(rec->instances)},
                                       {"lost_on_crash_now", std::to_string(rec->lost)},
                                       {"torn_bytes_now", std::to_string(rec->torn_bytes)}});
  return c;
}

Core::~Core() { Shutdown(); }

void Core::SetSettings(Settings s) { settings_.Store(std::make_shared<const Settings>(s)); }

void Core::Drain(std::chrono::milliseconds timeout) {
  draining_.store(true, std::memory_order_release);
  if (ingest_) ingest_->StopIntake();
  if (writer_ && !writer_->Flush(timeout)) {
    log::Warn("drain: not everything was written in time",
              {{"pending", std::to_string(ring_->PublishedTotal() - ring_->ReleasedTotal())}});
  }
}

void Core::Shutdown() {
  std::lock_guard<std::mutex> l(shutdown_mu_);
  if (shut_down_) return;
  shut_down_ = true;
  draining_.store(true, std::memory_order_release);
  if (ingest_) ingest_->Stop();
  if (writer_) writer_->Stop();
  // Everything received was written (or counted as dropped): nothing for a successor to
  // account as lost.
  state_.Remove();
  log::Info("log-aggregator stopped",
            {{"received", std::to_string(Get(stats_.received))},
             {"written", std::to_string(Get(stats_.written))},
             {"write_dropped", std::to_string(Get(stats_.write_dropped))}});
}

}  // namespace paddock::logagg
