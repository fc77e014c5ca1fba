// The gcounter plugin: named G-Counters and PN-Counters replicated across machines by
// authenticated UDP gossip on the socket the host pre-opens ("gossip"), durable in the
// data dir. See node.h for the threads, replica.h for the protocol, wal.h for durability.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gcounter.pb.h"
#include "node.h"
#include "paddock/plugin.h"
#include "service.h"
#include "settings.h"

namespace paddock::gcounter {
namespace {

absl::StatusOr<Settings> Parse(const ConfigSnapshot& snapshot) {
  absl::StatusOr<v1::GcounterConfig> config = snapshot.As<v1::GcounterConfig>();
  if (!config.ok()) return config.status();
  return ParseSettings(*config);
}

class GCounterPlugin final : public Plugin {
 public:
  absl::Status Init(Context& ctx) override {
    if (ctx.data_dir().empty()) {
      return absl::FailedPreconditionError(
          "gcounter needs its data dir (grant \"data_dir\": true in the host config)");
    }
    absl::StatusOr<UniqueFd> socket = ctx.TakeSocket("gossip");
    if (!socket.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("gcounter needs the \"gossip\" UDP socket (grant \"sockets\": true): ",
                       socket.status().message()));
    }
    absl::StatusOr<Settings> settings = Parse(*ctx.config());
    if (!settings.ok()) return settings.status();
    if (settings->keys.empty()) {
      log::Warn("no cluster key configured: gossip is off and this node counts alone");
    }
    node_ = std::make_unique<Node>(ctx.data_dir(), std::move(*socket), std::move(*settings),
                                   &ctx.metrics());
    if (absl::Status s = node_->Start(); !s.ok()) return s;
    service_.set_node(node_.get());
    ctx.AddService(&service_);
    return absl::OkStatus();
  }

  absl::Status Configure(const ConfigSnapshot& snapshot) override {
    absl::StatusOr<Settings> settings = Parse(snapshot);
    if (!settings.ok()) return settings.status();
    if (node_ == nullptr) return absl::OkStatus();
    return node_->Reconfigure(std::move(*settings));
  }

  void Shutdown() override {
    if (node_ != nullptr) node_->Stop();
  }

 private:
  GCounterService service_;
  std::unique_ptr<Node> node_;
};

}  // namespace
}  // namespace paddock::gcounter

PADDOCK_PLUGIN(paddock::gcounter::GCounterPlugin)
