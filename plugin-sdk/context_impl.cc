// Context implementation (see context_impl.h).
#include "plugin-sdk/context_impl.h"

#include <fcntl.h>

#include "absl/strings/str_cat.h"
#include "paddock/log.h"

namespace paddock::sdk {

std::shared_ptr<const ConfigSnapshot> MakeSnapshot(const v1::ConfigSnapshot& proto) {
  return std::make_shared<const ConfigSnapshot>(proto.version(),
                                                proto.json().empty() ? "{}" : proto.json());
}

ContextImpl::ContextImpl(const v1::Bootstrap& b)
    : name_(b.plugin_name()),
      generation_(b.generation()),
      data_dir_(b.data_dir()),
      config_(MakeSnapshot(b.config())),
      host_(HostChannel::Create(b)) {
  absl::MutexLock lock(&sockets_mu_);
  for (const v1::PassedFd& f : b.fds()) {
    // Keep the plugin's own children (if any) from inheriting the host's sockets.
    int flags = ::fcntl(f.fd(), F_GETFD);
    if (flags >= 0) ::fcntl(f.fd(), F_SETFD, flags | FD_CLOEXEC);
    sockets_[f.name()] = UniqueFd(f.fd());
  }
}

void ContextImpl::AddService(grpc::Service* service) {
  if (services_closed_) {
    log::Error("Context::AddService called after Init; the service is not served");
    return;
  }
  if (service != nullptr) services_.push_back(service);
}

std::vector<grpc::Service*> ContextImpl::TakeServices() {
  services_closed_ = true;
  return std::move(services_);
}

absl::StatusOr<UniqueFd> ContextImpl::TakeSocket(const std::string& name) {
  absl::MutexLock lock(&sockets_mu_);
  auto it = sockets_.find(name);
  if (it == sockets_.end()) {
    return absl::NotFoundError(absl::StrCat("the host passed no socket named \"", name, "\""));
  }
  if (!it->second.valid()) {
    return absl::FailedPreconditionError(absl::StrCat("socket \"", name, "\" was already taken"));
  }
  return std::move(it->second);
}

absl::StatusOr<std::string> ContextImpl::Invoke(const std::string& target, const std::string& json,
                                                absl::Duration timeout) {
  if (host_ == nullptr) {
    return absl::UnavailableError(
        "the host gave this instance no invoke socket (bootstrap host_socket_path is empty)");
  }
  return host_->Invoke(target, json, timeout);
}

absl::Status ContextImpl::CheckInvoke(const std::string& target, absl::Duration timeout) {
  if (host_ == nullptr) {
    return absl::UnavailableError(
        "the host gave this instance no invoke socket (bootstrap host_socket_path is empty)");
  }
  return host_->Check(target, timeout);
}

}  // namespace paddock::sdk
