// The gRPC face of the plugin: paddock.gcounter.v1.GCounter over a Node.
#pragma once

#include <atomic>

#include "gcounter.grpc.pb.h"
#include "node.h"

namespace paddock::gcounter {

// Serves GCounter. The node is set once (before the server starts) and outlives the
// service's calls. Thread-safe.
class GCounterService final : public v1::GCounter::Service {
 public:
  void set_node(Node* node) { node_.store(node, std::memory_order_release); }

  grpc::Status Increment(grpc::ServerContext*, const v1::IncrementRequest* req,
                         v1::IncrementReply* reply) override;
  grpc::Status Get(grpc::ServerContext*, const v1::GetRequest* req, v1::GetReply* reply) override;
  grpc::Status List(grpc::ServerContext*, const v1::ListRequest* req,
                    v1::ListReply* reply) override;
  grpc::Status Stats(grpc::ServerContext*, const v1::StatsRequest* req,
                     v1::StatsReply* reply) override;

 private:
  std::atomic<Node*> node_{nullptr};
};

// absl::Status -> grpc::Status with the same code and message.
grpc::Status ToGrpc(const absl::Status& s);

}  // namespace paddock::gcounter
