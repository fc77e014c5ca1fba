#include "service.h"

namespace paddock::gcounter {

grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

namespace {

template <typename Reply>
grpc::Status Answer(absl::StatusOr<Reply> r, Reply* reply) {
  if (!r.ok()) return ToGrpc(r.status());
  *reply = std::move(*r);
  return grpc::Status::OK;
}

grpc::Status NotReady() {
  return grpc::Status(grpc::StatusCode::UNAVAILABLE, "gcounter is starting");
}

}  // namespace

grpc::Status GCounterService::Increment(grpc::ServerContext*, const v1::IncrementRequest* req,
                                        v1::IncrementReply* reply) {
  Node* node = node_.load(std::memory_order_acquire);
  if (node == nullptr) return NotReady();
  return Answer(node->Increment(req->name(), req->delta(), req->kind()), reply);
}

grpc::Status GCounterService::Get(grpc::ServerContext*, const v1::GetRequest* req,
                                  v1::GetReply* reply) {
  Node* node = node_.load(std::memory_order_acquire);
  if (node == nullptr) return NotReady();
  return Answer(node->Get(req->name()), reply);
}

grpc::Status GCounterService::List(grpc::ServerContext*, const v1::ListRequest* req,
                                   v1::ListReply* reply) {
  Node* node = node_.load(std::memory_order_acquire);
  if (node == nullptr) return NotReady();
  return Answer(node->List(req->start(), req->limit()), reply);
}

grpc::Status GCounterService::Stats(grpc::ServerContext*, const v1::StatsRequest*,
                                    v1::StatsReply* reply) {
  Node* node = node_.load(std::memory_order_acquire);
  if (node == nullptr) return NotReady();
  return Answer(node->Stats(), reply);
}

}  // namespace paddock::gcounter
