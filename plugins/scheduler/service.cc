#include "service.h"

#include <map>
#include <set>

#include "absl/strings/str_cat.h"

namespace paddock::scheduler {
namespace {

constexpr int kStreamWaitMs = 200;

grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

v1::ClockKind KindOf(ClockId id) {
  return id == ClockId::kMonotonic ? v1::CLOCK_KIND_MONOTONIC : v1::CLOCK_KIND_REALTIME;
}

}  // namespace

grpc::Status SchedulerService::AddTask(grpc::ServerContext*, const v1::AddTaskRequest* req,
                                       v1::AddTaskResponse* resp) {
  absl::StatusOr<v1::TaskInfo> info = engine_->Add(req->task());
  if (!info.ok()) return ToGrpc(info.status());
  *resp->mutable_task() = std::move(*info);
  return grpc::Status::OK;
}

grpc::Status SchedulerService::RemoveTask(grpc::ServerContext*, const v1::RemoveTaskRequest* req,
                                          v1::RemoveTaskResponse* resp) {
  absl::StatusOr<v1::TaskInfo> info = engine_->Remove(req->name());
  if (!info.ok()) return ToGrpc(info.status());
  *resp->mutable_task() = std::move(*info);
  return grpc::Status::OK;
}

grpc::Status SchedulerService::ListTasks(grpc::ServerContext*, const v1::ListTasksRequest*,
                                         v1::ListTasksResponse* resp) {
  for (v1::TaskInfo& info : engine_->List()) *resp->add_tasks() = std::move(info);
  return grpc::Status::OK;
}

grpc::Status SchedulerService::Stats(grpc::ServerContext*, const v1::StatsRequest* req,
                                     v1::StatsResponse* resp) {
  absl::StatusOr<std::vector<v1::TaskStats>> stats = engine_->Stats(req->name());
  if (!stats.ok()) return ToGrpc(stats.status());
  for (v1::TaskStats& s : *stats) *resp->add_tasks() = std::move(s);
  if (memory_note_ != nullptr) {
    std::shared_ptr<const std::string> note = memory_note_->Load();
    resp->set_memory_locked(note->empty());
    resp->set_memory_note(*note);
  }
  resp->set_active(engine_->active());
  return grpc::Status::OK;
}

grpc::Status SchedulerService::Subscribe(grpc::ServerContext* ctx, const v1::SubscribeRequest* req,
                                         grpc::ServerWriter<v1::Tick>* writer) {
  return Stream(
      *req, [&] { return ctx->IsCancelled() || (ctx_ != nullptr && ctx_->draining()); },
      [&](const v1::Tick& t) { return writer->Write(t); });
}

grpc::Status SchedulerService::Stream(const v1::SubscribeRequest& req,
                                      const std::function<bool()>& stop,
                                      const std::function<bool(const v1::Tick&)>& write) {
  std::set<std::string> wanted(req.names().begin(), req.names().end());
  for (const std::string& name : wanted) {
    if (!engine_->Has(name)) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          absl::StrCat("no task named \"", name, "\""));
    }
  }
  struct Cursor {
    std::shared_ptr<TaskRunner> runner;
    uint64_t next = 0;  // Next ring index to read.
    bool live = true;   // Still armed; a disarmed runner is dropped once read to the end.
  };
  std::map<const TaskRunner*, Cursor> cursors;
  uint64_t version = ~uint64_t{0};
  v1::Tick tick;
  while (!stop()) {
    const uint32_t seen = engine_->signal().value();
    if (engine_->runners_version() != version) {
      // The set of armed tasks changed: follow new runners from their current tick on.
      version = engine_->runners_version();
      std::map<const TaskRunner*, Cursor> next;
      for (std::shared_ptr<TaskRunner>& r : engine_->Runners()) {
        if (!wanted.empty() && !wanted.count(r->name())) continue;
        auto it = cursors.find(r.get());
        if (it != cursors.end()) {
          next.emplace(r.get(), std::move(it->second));
        } else {
          const TaskRunner* key = r.get();
          const uint64_t from = r->ring().published();
          next.emplace(key, Cursor{std::move(r), from, true});
        }
      }
      // Runners that left still deliver what they published before they stopped.
      for (auto& [key, c] : cursors) {
        if (next.count(key)) continue;
        c.live = false;
        next.emplace(key, std::move(c));
      }
      cursors.swap(next);
    }
    bool wrote = false;
    for (auto it = cursors.begin(); it != cursors.end();) {
      Cursor& c = it->second;
      const TickRing& ring = c.runner->ring();
      uint64_t dropped = 0;
      while (c.next < ring.published()) {
        const uint64_t head = ring.published();
        if (head - c.next > TickRing::kCapacity) {
          dropped += head - TickRing::kCapacity - c.next;
          c.next = head - TickRing::kCapacity;
        }
        TickRecord rec;
        TickRing::ReadResult res = ring.Read(c.next, &rec);
        if (res == TickRing::ReadResult::kOverwritten) {
          ++dropped;
          ++c.next;
          continue;
        }
        if (res == TickRing::ReadResult::kNotYet) break;
        tick.set_task(c.runner->name());
        tick.set_sequence(rec.sequence);
        tick.set_scheduled_ns(rec.scheduled_ns);
        tick.set_actual_ns(rec.actual_ns);
        tick.set_latency_ns(rec.actual_ns - rec.scheduled_ns);
        tick.set_clock(KindOf(c.runner->clock()));
        tick.set_missed_before(rec.missed_before);
        tick.set_dropped_before(dropped);
        dropped = 0;
        ++c.next;
        if (!write(tick)) return grpc::Status::OK;  // The client went away.
        wrote = true;
      }
      if (!c.live && c.next >= ring.published()) {
        it = cursors.erase(it);
      } else {
        ++it;
      }
    }
    if (!wrote) engine_->signal().Wait(seen, kStreamWaitMs);
  }
  return grpc::Status::OK;
}

}  // namespace paddock::scheduler
