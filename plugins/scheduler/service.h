// paddock.scheduler.v1.Scheduler over the Engine. Runs on gRPC's threads.
#pragma once

#include <functional>
#include <string>

#include "engine.h"
#include "paddock/config.h"
#include "paddock/context.h"
#include "scheduler.grpc.pb.h"

namespace paddock::scheduler {

class SchedulerService final : public paddock::scheduler::v1::Scheduler::Service {
 public:
  // `engine` and `ctx` are not owned and outlive the service. `ctx` may be null (tests): then
  // streams end only when the client goes away.
  SchedulerService(Engine* engine, const paddock::Context* ctx,
                   const paddock::AtomicSnapshot<std::string>* memory_note)
      : engine_(engine), ctx_(ctx), memory_note_(memory_note) {}

  grpc::Status AddTask(grpc::ServerContext*, const v1::AddTaskRequest* req,
                       v1::AddTaskResponse* resp) override;
  grpc::Status RemoveTask(grpc::ServerContext*, const v1::RemoveTaskRequest* req,
                          v1::RemoveTaskResponse* resp) override;
  grpc::Status ListTasks(grpc::ServerContext*, const v1::ListTasksRequest* req,
                         v1::ListTasksResponse* resp) override;
  // Streams every tick of the named tasks (all tasks, including later ones, when none are
  // named) from the moment of the call. Ends OK when the plugin drains or the client leaves.
  grpc::Status Subscribe(grpc::ServerContext* ctx, const v1::SubscribeRequest* req,
                         grpc::ServerWriter<v1::Tick>* writer) override;
  grpc::Status Stats(grpc::ServerContext*, const v1::StatsRequest* req,
                     v1::StatsResponse* resp) override;

  // The streaming loop, with the stop condition injectable for tests: writes ticks with
  // `write` until `stop()` is true or `write` fails.
  grpc::Status Stream(const v1::SubscribeRequest& req, const std::function<bool()>& stop,
                      const std::function<bool(const v1::Tick&)>& write);

 private:
  Engine* engine_;
  const paddock::Context* ctx_;
  // "" when memory is locked, else why not. Not owned; may be null.
  const paddock::AtomicSnapshot<std::string>* memory_note_;
};

}  // namespace paddock::scheduler
